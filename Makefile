# vmlaunch — see README.md.  `make` builds ./vmlaunch; `make check` runs every test.
# The version's one source is debian/changelog's first line: --version,
# the installed man pages and the .deb all take it from there.
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
# The lab's helper scripts (vmlaunch(1), FILES).
SCRIPTDIR ?= $(DATADIR)/vmlaunch/scripts
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wwrite-strings -Wshadow -Wundef -Wpointer-arith -Wold-style-definition \
	-Wredundant-decls -Wvla -Wcast-qual -Wnull-dereference -Wimplicit-fallthrough
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude $(WARNINGS) -DVMLAUNCH_VERSION='"$(VERSION)"'
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
HDRS := $(wildcard include/*.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

# The guest's /init (src/guest/, not part of vmlaunch's own sources): a
# static program whose bytes vmlaunch embeds (INIT_BLOB) for modules = DIR.
INIT_BIN := build/vmlaunch-init
INIT_BLOB := build/init-blob.o

OBJS := $(SRCS:src/%.c=build/obj/%.o) $(INIT_BLOB)
ASAN_OBJS := $(SRCS:src/%.c=build/asan/%.o) $(INIT_BLOB)
ASAN_LIB_OBJS := $(LIB_SRCS:src/%.c=build/asan/%.o) $(INIT_BLOB)

# Every tests/fuzz/fuzz_NAME.c is a libFuzzer target build/fuzz-NAME, over the
# library sources; `make fuzz` runs each for FUZZ_SECONDS (check runs them briefly).
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=build/fuzz-%)

.PHONY: all run check check-debian test-unit images images-clean install uninstall clean fuzz fuzz-build asan deb
all: vmlaunch

vmlaunch: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS)

$(INIT_BIN): src/guest/init.c src/guest/cmdline.c src/guest/cmdline.h | build
	$(CC) -std=c11 -D_GNU_SOURCE $(WARNINGS) -static -Os -s -o $@ src/guest/init.c \
		src/guest/cmdline.c

$(INIT_BLOB): src/guest/blob.S $(INIT_BIN) | build
	$(CC) -c -o $@ src/guest/blob.S

build/obj/%.o: src/%.c $(HDRS) | build/obj
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The same program and the unit tests, built with ASan and UBSan for `make check`.
asan: build/vmlaunch-asan build/unit-asan

build/vmlaunch-asan: $(ASAN_OBJS)
	$(CC) $(SAN_FLAGS) -g -o $@ $(ASAN_OBJS)

build/asan/%.o: src/%.c $(HDRS) | build/asan
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -O1 -g -c -o $@ $<

# The init's command-line parser (src/guest/cmdline.c) is unit-tested too.
build/unit-asan: $(UNIT_SRCS) tests/unit/unit.h $(ASAN_LIB_OBJS) src/guest/cmdline.c src/guest/cmdline.h
	$(CC) $(BASE_CFLAGS) -Itests/unit -Isrc/guest $(SAN_FLAGS) -O1 -g -o $@ $(UNIT_SRCS) \
		src/guest/cmdline.c $(ASAN_LIB_OBJS)

# A scripted QMP client for tests/e2e/qmp-client.sh.
build/qmp-probe: tests/unit/qmp_probe.c $(ASAN_LIB_OBJS)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -O1 -g -o $@ $< $(ASAN_LIB_OBJS)

# Build and run the unit tests.
test-unit: build/unit-asan
	build/unit-asan

# The library is compiled once for all fuzz targets (instrumented, not linked
# with libFuzzer's main), then each target links its own harness to it.
FUZZ_LIB_OBJS := $(LIB_SRCS:src/%.c=build/fuzzobj/%.o) $(INIT_BLOB)

build/fuzzobj/%.o: src/%.c $(HDRS) | build/fuzzobj
	$(FUZZ_CC) $(BASE_CFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

build/fuzz-%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS) $(HDRS) $(wildcard tests/fuzz/*.h) | build
	$(FUZZ_CC) $(BASE_CFLAGS) -Itests/fuzz -g -O1 -fsanitize=fuzzer,address,undefined -o $@ \
		$< $(FUZZ_LIB_OBJS)

# vmlaunch's own cost, in-process (scripts/bootbench prints it).
build/bench-launch: tests/bench/launch_cost.c $(filter-out build/obj/main.o,$(OBJS)) | build
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $^

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run $(FUZZ_SECONDS)

build build/obj build/asan build/fuzzobj:
	mkdir -p $@

include images/images.mk

# Boot the default VM with its console in this terminal (Ctrl-a x leaves).
# RUN_OPTS adds vmlaunch options, e.g. RUN_OPTS='-o snapshot=yes -o memory=1G'.
RUN_OPTS ?=
# scripts/deps comes first: a fresh machine has no compiler yet.  Only the
# default VM's files are made: Debian's kernel is fetched, not compiled.
run:
	scripts/deps run
	$(MAKE) vmlaunch images-default
	./vmlaunch -o accel=auto $(RUN_OPTS) images/default.conf

check:
	scripts/deps check
	$(MAKE) vmlaunch asan build/bench-launch build/qmp-probe images
	$(MAKE) -j2 fuzz-build
	tests/run

# The Debian image's test, always: the image is built first if it is not
# cached (a minute or two), and a missing image is then a failure, not a skip.
check-debian: vmlaunch build/vmlaunch-asan
	scripts/deps debian
	$(MAKE) images-debian
	DEBIAN_IMAGE_REQUIRED=1 tests/run e2e/debian-image

# The man pages' .TH line gets $(VERSION), whatever the file says.
MAN_VERSION := sed '/^\.TH /s/"vmlaunch [^"]*"/"vmlaunch $(VERSION)"/'

install: vmlaunch
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(SCRIPTDIR)
	install -m 755 vmlaunch $(DESTDIR)$(BINDIR)/vmlaunch
	$(MAN_VERSION) vmlaunch.1 >$(DESTDIR)$(MANDIR)/man1/vmlaunch.1
	$(MAN_VERSION) vmlaunch.conf.5 >$(DESTDIR)$(MANDIR)/man5/vmlaunch.conf.5
	chmod 644 $(DESTDIR)$(MANDIR)/man1/vmlaunch.1 $(DESTDIR)$(MANDIR)/man5/vmlaunch.conf.5
	install -m 644 scripts/vmlaunch.bash-completion $(DESTDIR)$(COMPLETIONDIR)/vmlaunch
	install -m 755 scripts/connect_to_socket.sh scripts/gdb-kernel.sh $(DESTDIR)$(SCRIPTDIR)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmlaunch $(DESTDIR)$(MANDIR)/man1/vmlaunch.1 \
		$(DESTDIR)$(MANDIR)/man5/vmlaunch.conf.5 $(DESTDIR)$(COMPLETIONDIR)/vmlaunch \
		$(DESTDIR)$(SCRIPTDIR)/connect_to_socket.sh $(DESTDIR)$(SCRIPTDIR)/gdb-kernel.sh
	rmdir $(DESTDIR)$(SCRIPTDIR) $(DESTDIR)$(DATADIR)/vmlaunch 2>/dev/null || true

# build/deb/vmlaunch_$(VERSION)_ARCH.deb: dpkg-buildpackage in a copy of the
# sources (without build/, images/out/ and .git), so the package is built
# from scratch with Debian's flags and this tree, its images included, is
# left alone.  DEB_OPTS adds dpkg-buildpackage options.
DEB_OPTS ?=
deb:
	rm -rf build/deb
	mkdir -p build/deb/vmlaunch-$(VERSION)
	tar -c --exclude=./build --exclude=./images/out --exclude=./.git --exclude=./vmlaunch \
		--exclude='./*.deb' . | tar -x -C build/deb/vmlaunch-$(VERSION)
	cd build/deb/vmlaunch-$(VERSION) && dpkg-buildpackage -us -uc -b $(DEB_OPTS)
	@ls build/deb/*.deb

clean: images-clean
	rm -rf build vmlaunch
