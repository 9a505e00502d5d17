/*
 * Saved states (vmlaunch save, --restore): one file that holds what a VM
 * was made from, the contents its snapshot disks had, and QEMU's migration
 * stream.
 *
 *   [0, 64 KiB)   "VMLAUNCH-STATE 1\n", one line of JSON (the metadata), "\n",
 *                 "sha256 " and the JSON's SHA-256 in hex, "\n", zeros
 *   [64 KiB, ..)  QEMU's migration stream (what `migrate fd:` wrote)
 *   then          each snapshot disk's overlay (a qcow2 image over the base image)
 *
 * The metadata records the config and its -o, the plan's description
 * (savestate_describe: QEMU, machine, memory, devices, each file's
 * identity), QEMU's version, whether the guest ran, and where each section
 * is.  A restore compares the description with the new plan's before QEMU
 * starts, and names every difference.
 */
#ifndef VMLAUNCH_SAVESTATE_H
#define VMLAUNCH_SAVESTATE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "plan.h"
#include "strbuf.h"
#include "strvec.h"

#define SAVESTATE_MAGIC "VMLAUNCH-STATE 1\n"
#define SAVESTATE_HEADER_SIZE 65536u
#define SAVESTATE_DISKS_MAX (CONFIG_DISKS_MAX + 1)

struct savestate_disk {
	char *id;               /* the plan's disk id: "rootfs", "disk1" */
	int fd;                 /* in a VM's record: QEMU's descriptor of the overlay */
	uint64_t offset, size;  /* in a state file: the overlay's bytes */
	char sha256[65];        /* in a state file: their SHA-256, hex ("" in a record) */
};

struct savestate_meta {
	char *config;           /* absolute */
	struct strvec overrides;
	struct strvec cwds;     /* the directory each -o was given in (empty: unknown) */
	struct strvec plan;     /* savestate_describe's lines */
	char *qemu_version;     /* query-version's, or NULL in a record */
	int running;            /* the guest ran when it was saved */
	uint64_t stream_offset, stream_size;
	struct savestate_disk disks[SAVESTATE_DISKS_MAX];
	size_t ndisks;
};

/*
 * What plan P is, as "key=value" lines: QEMU (its file's identity),
 * machine, accel, memory, cpus, kernel, initrd, command line, the guest's
 * devices, each disk's path, format, mode and identity.  Stats and reads
 * the head of each file (the identity); otherwise pure.
 */
void savestate_describe(const struct vm_plan *p, struct strvec *out);

/*
 * Each difference between what a state was SAVED from and the plan NOW,
 * one sentence each in DIFFS ("saved with memory=128M, the config says
 * 256M"); the count.  Pure.
 */
size_t savestate_compare(const struct strvec *saved, const struct strvec *now,
			 struct strvec *diffs);

/* The metadata as one line of JSON, no newline (a VM's record, a file's header). */
char *savestate_json(const struct savestate_meta *m);
/* A state file's header (magic, JSON, its SHA-256), *LEN bytes; not padded. */
char *savestate_header(const struct savestate_meta *m, size_t *len);
/*
 * Does the header in BUF (LEN bytes, savestate_parse accepted it) carry
 * its JSON's SHA-256, and the right one?  0, or -1 with the reason in WHY.
 */
int savestate_verify(const char *buf, size_t len, struct strbuf *why);

/*
 * Parse metadata.  HEADER: BUF is the start of a state file (its first
 * LEN bytes, at most SAVESTATE_HEADER_SIZE) and FILE_SIZE its size: the
 * magic, the JSON and every section within the file are checked.  Else
 * BUF is a VM's record (the JSON alone).  0, or -1 with the reason in WHY.
 * Pure.
 */
int savestate_parse(const char *buf, size_t len, int header, uint64_t file_size,
		    struct savestate_meta *m, struct strbuf *why);
void savestate_meta_free(struct savestate_meta *m);

/*
 * The record a started VM keeps for save: its config, -o (each with the
 * directory CWDS says it was given in), plan and overlays' descriptors.
 */
char *savestate_record(const struct vm_plan *p, const char *config_abs,
		       const struct strvec *overrides, const struct strvec *cwds);

/*
 * Open and check state file FILE: its descriptor (close-on-exec), or -1
 * after reporting (66: missing, unreadable, not a regular file, truncated,
 * not a state file).  A restore reads that descriptor, never FILE again,
 * so a file replaced meanwhile is not read with the old metadata.
 */
int savestate_open(const char *file, struct savestate_meta *m, struct diag *d);

/*
 * A restore of M (from STATE, savestate_open's descriptor of FILE) into plan P: the descriptions compared (65
 * and each difference named, before anything is made), then, for each
 * snapshot disk, a private copy of its saved overlay (an unlinked file in
 * TMPDIR, so each restore is independent) and the migration stream on a
 * descriptor of its own, as QEMU's -incoming.  The descriptors (not
 * close-on-exec, for QEMU) are added to FDS when not NULL; each disk's
 * copy is checked against its SHA-256.  savestate_check: 0, or -1 after
 * reporting.  savestate_restore_plan: 0, or the status with the reason in
 * WHY (66: a disk section corrupt; 65: a snapshot disk the state has no
 * contents for; 71).
 */
int savestate_check(const struct savestate_meta *m, const char *file, const struct vm_plan *p,
		    struct diag *d);
int savestate_restore_plan(const struct savestate_meta *m, int state, const char *file,
			   struct vm_plan *p, const char *tmpdir, int *fds, size_t *nfds,
			   struct strbuf *why);

/*
 * What a restore loads: CONFIG when one is given (with the command's -o
 * only), else the config the state was saved from, with the -o it was
 * started with and then the command's.  Into *USE and USE_OVERRIDES, and
 * into USE_CWDS the directory each -o's relative paths are relative to:
 * where the start was, for a saved one (CWD when unknown), else CWD.
 */
void savestate_config(const struct savestate_meta *m, const char *config,
		      const struct strvec *overrides, const char *cwd, const char **use,
		      struct strvec *use_overrides, struct strvec *use_cwds);


/*
 * A state file being written: an unnamed file in FILE's directory
 * (O_TMPFILE; else FILE.tmp-XXXXXX), linked under FILE's name only once
 * complete, so a save that is killed leaves no FILE and the old one intact.
 */
struct savestate_tmp {
	int fd, dirfd;
	char *base;             /* FILE's last component */
	char *named;            /* the fallback's temporary name, or NULL */
};

int savestate_tmp_open(const char *file, struct savestate_tmp *t, struct strbuf *why);
/* fsync, link as FILE.tmp-XXXXXX, rename over FILE, fsync the directory: 0 or -1 with WHY. */
int savestate_tmp_commit(struct savestate_tmp *t, struct strbuf *why);
/* Close (and remove) what is not committed; again does nothing. */
void savestate_tmp_close(struct savestate_tmp *t);

/*
 * Copy LEN bytes from IN at IN_OFF to OUT at OUT_OFF: 0, or -1 with errno
 * (EIO: short).  With SHA (not NULL), read and written by hand and hashed
 * on the way.
 */
struct sha256;
int savestate_copy(int in, uint64_t in_off, int out, uint64_t out_off, uint64_t len,
		   struct sha256 *sha);

#endif
