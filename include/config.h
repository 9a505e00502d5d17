/*
 * Config files: "key = value" lines (see vmlaunch.conf(5)).  The parser is
 * pure: it reads the bytes it is given, reports every error of the file
 * through the diag sink, and fills a struct vm_config.  Nothing here looks
 * at the host: that is validation's job.
 */
#ifndef VMLAUNCH_CONFIG_H
#define VMLAUNCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "strvec.h"

struct strbuf;

enum cfg_key {
	KEY_KERNEL,
	KEY_ROOTFS,
	KEY_INITRD,
	KEY_MEMORY,
	KEY_CPUS,
	KEY_SERIAL,
	KEY_APPEND,
	KEY_ACCEL,
	KEY_MACHINE,
	KEY_NAME,
	KEY_QEMU,
	KEY_SNAPSHOT,
	KEY_NET,
	KEY_NET_BACKEND,
	KEY_NET_TAP,
	KEY_NET_MAC,
	KEY_FORWARD,
	KEY_GDB,
	KEY_GDB_WAIT,
	KEY_DEBUG_EXIT,
	KEY_DISK,
	KEY_SHARE,
	KEY_MODULES,
	KEY__COUNT
};

enum accel { ACCEL_KVM, ACCEL_TCG, ACCEL_AUTO };
enum machine { MACHINE_PC, MACHINE_Q35, MACHINE_MICROVM };
enum serial_mode { SERIAL_STDIO, SERIAL_NONE, SERIAL_SOCKET };
enum net_model { NET_NONE, NET_VIRTIO, NET_E1000 };
enum net_backend { NETBE_USER, NETBE_TAP };
enum fwd_proto { FWD_TCP, FWD_UDP };
/* A disk's format: given with format=, or from its name (.qcow2; else raw). */
enum disk_format { FORMAT_RAW, FORMAT_QCOW2 };

/* One "forward" rule: HOSTADDR:HOSTPORT on the host to GUESTPORT in the guest. */
struct forward {
	enum fwd_proto proto;
	char host_addr[16];     /* dotted IPv4; 127.0.0.1 unless the rule names one */
	unsigned host_port;
	unsigned guest_port;
};

#define CONFIG_MAX_LINE 4096          /* bytes, without the line end */
#define CONFIG_MAX_FILE (1 << 20)     /* a config larger than 1 MiB is not a config */
#define CONFIG_MAX_ERRORS 20          /* then stop: it is probably not a config */
#define CONFIG_MEMORY_MIN_MIB 16
#define CONFIG_MEMORY_MAX_MIB (1024 * 1024)   /* 1T */
#define CONFIG_CPUS_MAX 255
#define CONFIG_FORWARDS_MAX 64
#define DEBUG_EXIT_PORT_YES 0xf4      /* debug_exit = yes: the port of QEMU's docs */
#define CONFIG_TAP_NAME_MAX 15        /* IFNAMSIZ - 1 */
#define CONFIG_DISKS_MAX 24           /* rootfs and disk keys: PCI slots, vda..vdx */
#define CONFIG_SHARES_MAX 16
#define CONFIG_TAG_MAX 31             /* a 9p mount tag, also a directory name in the guest */

/* A disk as the config gives it: "PATH [format=raw|qcow2] [ro]". */
struct cfg_disk {
	char *path;             /* absolute */
	enum disk_format format;
	int format_given;       /* format= was written (else: from the name) */
	int ro;                 /* read-only to QEMU and to the guest */
	struct origin origin;
};

/* A shared folder: "HOSTDIR [tag=TAG] [rw]". */
struct cfg_share {
	char *path;             /* absolute */
	char *tag;              /* given, or NULL: from the directory's name */
	int rw;                 /* read-only unless rw */
	struct origin origin;
};

struct cfg_setting {
	char *text;             /* the value as written (quotes removed) */
	struct origin origin;   /* where it was set; file NULL when defaulted */
	int set;                /* given by the file or by -o */
};

struct vm_config {
	char *file;             /* config path as given on the command line */
	char *dir;              /* absolute directory that relative paths use */
	struct cfg_setting s[KEY__COUNT];

	/* Typed values, filled from s[] (given or default). */
	char *kernel;           /* absolute path */
	char *rootfs;           /* absolute path or NULL */
	struct cfg_disk rootfs_disk;    /* its options (path: rootfs) */
	char *initrd;           /* absolute path or NULL */
	char *modules;          /* a module tree (absolute), "auto", or NULL */
	uint64_t memory_mib;
	unsigned cpus;
	enum serial_mode serial;
	char *serial_path;      /* absolute socket path when serial is a socket */
	char *append;           /* the user's part of the kernel command line */
	enum accel accel;       /* as configured (validation resolves auto) */
	enum machine machine;
	char *name;
	char *qemu;             /* program name or absolute path */
	int snapshot;           /* disk writes go to a throw-away overlay */
	enum net_model net;
	enum net_backend net_backend;
	char *net_tap;          /* tap device name for the tap backend */
	unsigned char net_mac[6];   /* given, or derived from the name */
	struct forward *forwards;
	size_t nforwards;
	char *gdb_addr;         /* gdb stub address, NULL when there is none */
	unsigned gdb_port;
	int gdb_wait;           /* start paused until the debugger continues */
	unsigned debug_exit;    /* isa-debug-exit's I/O port, 0 for none: the guest's
	                           exit status is ours */
	struct cfg_disk *disks; /* "disk" keys, in file order, then -o */
	size_t ndisks;
	struct cfg_share *shares;
	size_t nshares;

	struct strvec owned;    /* strings that origins point into */
};

/* One row per key: the parser, --help and the man page agree through it. */
struct cfg_key_info {
	const char *name;
	const char *def;        /* default as text; NULL: none */
	const char *help;
	int empty_ok;           /* an empty value is meaningful */
	int repeatable;         /* each occurrence adds one; -o adds one too */
	/* Store VALUE (relative paths from BASE), or explain in WHY and fail. */
	int (*set)(struct vm_config *cfg, const char *value, const char *base,
		   struct strbuf *why);
	/*
	 * Keys whose value is "PATH [OPTION]...": the path and the option words
	 * apart, and where the occurrence is.  Used instead of set when not NULL.
	 */
	int (*set_opts)(struct vm_config *cfg, const char *path, const char *opts,
			const char *base, const struct origin *at, struct strbuf *why);
};

extern const struct cfg_key_info cfg_keys[KEY__COUNT];

/*
 * FILE is the path as the user gave it (used in messages); CWD the absolute
 * directory it is relative to.
 */
void config_init(struct vm_config *cfg, const char *file, const char *cwd);
void config_free(struct vm_config *cfg);

/* Parse a whole file's bytes.  Returns the number of errors reported. */
unsigned config_parse_buffer(struct vm_config *cfg, const char *buf, size_t len,
			     struct diag *d);

/* Read FILE (cfg->file) and parse it: errors opening it exit 66, others 65. */
unsigned config_parse_file(struct vm_config *cfg, struct diag *d);

/*
 * Apply one "-o KEY=VALUE": the same syntax and checks as a file line; it
 * replaces the file's value.  Relative paths are taken from CWD.
 */
unsigned config_override(struct vm_config *cfg, const char *assignment,
			 const char *cwd, struct diag *d);

/* Apply defaults and check required keys.  Returns the number of errors. */
unsigned config_finish(struct vm_config *cfg, struct diag *d);

/*
 * The one way a command reads a config: init, parse FILE (relative to CWD),
 * apply OVERRIDES ("KEY=VALUE", relative paths from CWD), finish.  Returns
 * the number of errors; CFG is to be freed either way.
 */
unsigned config_load(struct vm_config *cfg, const char *file, const struct strvec *overrides,
		     const char *cwd, struct diag *d);
/* The same, each of OVERRIDES relative to its own directory in CWDS (a restore's). */
unsigned config_load_in(struct vm_config *cfg, const char *file, const struct strvec *overrides,
			const struct strvec *cwds, const char *cwd, struct diag *d);

/* The origin to name in a message about KEY (the file when defaulted). */
struct origin config_origin(const struct vm_config *cfg, enum cfg_key key);

/* The known key nearest to NAME, or NULL when none is close. */
const char *config_suggest_key(const char *name);
/*
 * Optimal string alignment distance of A and B, (size_t)-1 beyond 64
 * bytes; main uses it for command words too.
 */
size_t edit_distance(const char *a, const char *b);

const char *accel_name(enum accel a);
const char *machine_name(enum machine m);
const char *forward_proto_name(enum fwd_proto p);
const char *disk_format_name(enum disk_format f);

/* Is TAG[0..N) a valid 9p mount tag (also a directory name in the guest)? */
int config_tag_ok(const char *tag, size_t n);

#endif
