# images/images.mk — the default VM's images, included by the top Makefile.
#
#   make images        build images/out/{bzImage,vmlinux,rootfs.ext4,unikernel.elf}
#                      and link images/out/debian-kernel (Debian's kernel)
#   make images-default  only what images/default.conf (make run) needs
#   make images-clean  remove images/out (the kernel build cache, outside the
#                      repo in ~/.cache/vmlaunch, is kept)
#   make images-debian images/out/debian/{vmlinuz,initrd.img,debian.qcow2}
#                      for images/debian.conf (scripts/build-debian-image;
#                      cached in ~/.cache/vmlaunch/debian-<hash>, so a no-op
#                      when built)
#
# The kernel comes from scripts/build-kernel (cached by the hash of
# images/kernel.fragment + the script + the linux-source version), the root
# file system from scripts/build-rootfs (busybox + images/rootfs/ + the
# network benchmark's guest tool from images/netperf/).  Paths are
# relative to the repository root, where make runs.  scripts/deps runs only
# inside the recipes, i.e. only when something actually has to be built.
# Needs GNU make >= 4.3 (grouped target "&:").

IMAGES_DIR     := images
IMAGES_OUT     := $(IMAGES_DIR)/out
IMAGES_SCRIPTS := scripts
IMAGES_KERNEL  := $(IMAGES_OUT)/bzImage $(IMAGES_OUT)/vmlinux
IMAGES_ROOTFS  := $(IMAGES_OUT)/rootfs.ext4
# Everything under images/rootfs, directories included (a directory's mtime
# changes when a file is added or removed).
IMAGES_ROOTFS_SRC := $(shell find $(IMAGES_DIR)/rootfs 2>/dev/null)
# Host inputs, as prerequisites only when present (scripts/deps installs them).
IMAGES_BUSYBOX    := $(wildcard /bin/busybox)
IMAGES_LINUX_SRC  := $(wildcard /usr/src/linux-source-6.1.tar.xz)
# scripts/deps under a lock: with make -j both recipes may want to install.
IMAGES_DEPS = @mkdir -p $(IMAGES_OUT) && \
	flock $(IMAGES_OUT)/.deps.lock $(IMAGES_SCRIPTS)/deps

# The unikernel (images/unikernel/, booted by images/unikernel.conf): a 32-bit
# multiboot ELF, since QEMU's -kernel loads multiboot only from a 32-bit image.
# Freestanding and linked by ld alone, so -m32 needs no gcc-multilib or i386
# libc: gcc, binutils and make are all (scripts/deps images has them).  No FPU
# or SSE code (-mgeneral-regs-only): nothing enables them in the guest.  No -g
# and no build id, so the output is the same on every build.
IMAGES_UK      := $(IMAGES_OUT)/unikernel.elf
IMAGES_UK_SRC  := $(IMAGES_DIR)/unikernel
IMAGES_UK_OBJ  := $(IMAGES_OUT)/unikernel
IMAGES_UK_OBJS := $(IMAGES_UK_OBJ)/boot.o $(IMAGES_UK_OBJ)/main.o
IMAGES_UK_CFLAGS := -std=c11 -m32 -O2 -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -mgeneral-regs-only \
	$(WARNINGS)

# The default VM (images/default.conf) boots Debian's packaged kernel with the
# modules it needs (vmlaunch builds their initramfs): fetched once with
# apt-get download + dpkg -x into the cache and linked as
# images/out/debian-kernel.  No kernel compile for `make run`.  A stamp stands
# for the link (the kernel's own mtime is the package's); scripts/debian-kernel
# fetches again only when apt offers a newer kernel: run it, or remove the
# stamp, to pick one up.
IMAGES_DEBK       := $(IMAGES_OUT)/debian-kernel
IMAGES_DEBK_STAMP := $(IMAGES_OUT)/.debian-kernel.stamp

.PHONY: images images-default images-clean images-debian

images: $(IMAGES_KERNEL) $(IMAGES_ROOTFS) $(IMAGES_UK) $(IMAGES_DEBK_STAMP)

# What `make run` needs: the default VM's files only.
images-default: $(IMAGES_ROOTFS) $(IMAGES_DEBK_STAMP)

$(IMAGES_DEBK_STAMP): $(IMAGES_SCRIPTS)/debian-kernel $(IMAGES_SCRIPTS)/fetch-debian-kernel
	@mkdir -p $(IMAGES_OUT)
	$(IMAGES_SCRIPTS)/debian-kernel $(IMAGES_DEBK)
	@touch $@

$(IMAGES_KERNEL) &: $(IMAGES_DIR)/kernel.fragment $(IMAGES_SCRIPTS)/build-kernel \
		$(IMAGES_LINUX_SRC)
	$(IMAGES_DEPS) kernel
	$(IMAGES_SCRIPTS)/build-kernel $(IMAGES_OUT)

$(IMAGES_ROOTFS): $(IMAGES_SCRIPTS)/build-rootfs $(IMAGES_ROOTFS_SRC) \
		$(wildcard $(IMAGES_DIR)/netperf/*.c) $(IMAGES_BUSYBOX)
	$(IMAGES_DEPS) rootfs
	$(IMAGES_SCRIPTS)/build-rootfs $@

$(IMAGES_UK): $(IMAGES_UK_SRC)/linker.ld $(IMAGES_UK_OBJS)
	$(LD) -m elf_i386 -nostdlib --build-id=none -T $(IMAGES_UK_SRC)/linker.ld \
		-o $@ $(IMAGES_UK_OBJS)

$(IMAGES_UK_OBJ)/%.o: $(IMAGES_UK_SRC)/%.c
	@mkdir -p $(@D)
	$(CC) $(IMAGES_UK_CFLAGS) -c -o $@ $<

$(IMAGES_UK_OBJ)/%.o: $(IMAGES_UK_SRC)/%.S
	@mkdir -p $(@D)
	$(CC) $(IMAGES_UK_CFLAGS) -c -o $@ $<

images-clean:
	rm -rf $(IMAGES_OUT)

# The Debian image: always asks the script, whose inputs (the user's SSH key
# among them) make knows nothing of; with the image cached it only checks
# the links, so scripts/deps runs only for a build.
images-debian:
	@mkdir -p $(IMAGES_OUT)
	@$(IMAGES_SCRIPTS)/build-debian-image --cached >/dev/null || \
		flock $(IMAGES_OUT)/.deps.lock $(IMAGES_SCRIPTS)/deps debian
	$(IMAGES_SCRIPTS)/build-debian-image $(IMAGES_OUT)/debian
