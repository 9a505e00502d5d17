# images/images.mk — the default VM's images, included by the top Makefile.
#
#   make images        build images/out/{bzImage,vmlinux,rootfs.ext4}
#   make images-clean  remove images/out (the kernel build cache, outside the
#                      repo in ~/.cache/vmlaunch, is kept)
#
# The kernel comes from scripts/build-kernel (cached by the hash of
# images/kernel.fragment + the script + the linux-source version), the root
# file system from scripts/build-rootfs (busybox + images/rootfs/).  Paths are
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
	flock $(IMAGES_OUT)/.deps.lock $(IMAGES_SCRIPTS)/deps images

.PHONY: images images-clean

images: $(IMAGES_KERNEL) $(IMAGES_ROOTFS)

$(IMAGES_KERNEL) &: $(IMAGES_DIR)/kernel.fragment $(IMAGES_SCRIPTS)/build-kernel \
		$(IMAGES_LINUX_SRC)
	$(IMAGES_DEPS)
	$(IMAGES_SCRIPTS)/build-kernel $(IMAGES_OUT)

$(IMAGES_ROOTFS): $(IMAGES_SCRIPTS)/build-rootfs $(IMAGES_ROOTFS_SRC) \
		$(IMAGES_BUSYBOX)
	$(IMAGES_DEPS)
	$(IMAGES_SCRIPTS)/build-rootfs $@

images-clean:
	rm -rf $(IMAGES_OUT)
