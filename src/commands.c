#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "devices.h"
#include "exitcodes.h"
#include "host.h"
#include "json.h"
#include "launch.h"
#include "libvirt_xml.h"
#include "prepare.h"
#include "qemu_argv.h"
#include "safefile.h"
#include "savestate.h"
#include "strbuf.h"
#include "validate.h"
#include "vmstate.h"
#include "xalloc.h"

/* Load and validate: the plan ready to build, or a status.  Free both either way. */
static int load(const struct cli *cli, const char *file, enum validate_mode mode,
		struct vm_config *cfg, struct vm_plan *plan)
{
	struct diag *d = cli->d;
	unsigned first = d->errors;

	memset(plan, 0, sizeof(*plan));
	if (config_load(cfg, file, &cli->overrides, cli->cwd, d))
		return d->status;
	if (config_validate(cfg, mode, &cli->env, d, plan) || d->errors != first)
		return d->status;
	return EXIT_OK;
}

/* Validation should have refused any plan the builder cannot render: a bug if not. */
static int build(const struct vm_plan *plan, struct qemu_cmd *cmd, struct diag *d)
{
	if (qemu_cmd_build(plan, cmd) == 0)
		return EXIT_OK;
	diag_error(d, NULL, EXIT_INTERNAL, "internal error: cannot build the QEMU command "
		   "line: %s", cmd->error);
	return EXIT_INTERNAL;
}

/* Does a started VM (vmlaunch start) of NAME run? */
static int name_running(const char *name)
{
	struct vmroot root = { NULL, -1 };
	struct vmdir vm = { NULL, NULL, -1, -1 };
	struct strbuf why = STRBUF_INIT;
	int alive = 0;

	if (vmstate_name_ok(name) && vmroot_open(&root, 0, &why) == 0 &&
	    vmdir_open(&root, name, &vm, &why) == 0)
		alive = vmdir_alive(&vm);
	vmdir_close(&vm);
	vmroot_close(&root);
	sb_release(&why);
	return alive;
}

/*
 * run --restore: the state file read (its descriptor in *FD) and its config
 * loaded and checked, or a status.
 */
static int load_restore(const struct cli *cli, struct savestate_meta *m, int *fd,
			struct vm_config *cfg, struct vm_plan *plan)
{
	struct strvec ov = STRVEC_INIT, cwds = STRVEC_INIT;
	const char *config = cli->nconfigs ? cli->configs[0] : NULL;
	unsigned first = cli->d->errors;
	int status = EXIT_OK;

	memset(plan, 0, sizeof(*plan));
	memset(cfg, 0, sizeof(*cfg));
	*fd = savestate_open(cli->restore, m, cli->d);
	if (*fd < 0)
		return cli->d->status;
	/* QEMU would load it paused, and run gives no monitor to continue it. */
	if (!m->running) {
		diag_error(cli->d, NULL, EXIT_UNAVAILABLE, "%s: saved while its guest was paused: "
			   "run --restore would start it paused for good; restore it with start "
			   "--restore or test --restore, which continue it", cli->restore);
		return cli->d->status;
	}
	savestate_config(m, config, &cli->overrides, cli->cwd, &config, &ov, &cwds);
	if (config_load_in(cfg, config, &ov, &cwds, cli->cwd, cli->d) ||
	    config_validate(cfg, VALIDATE_STRICT, &cli->env, cli->d, plan) || cli->d->errors != first)
		status = cli->d->status;
	if (status == EXIT_OK && savestate_check(m, cli->restore, plan, cli->d) < 0)
		status = cli->d->status;
	/* Two guests from one state under one name: the same MAC, the same console. */
	if (status == EXIT_OK && name_running(cfg->name)) {
		diag_error(cli->d, NULL, EXIT_UNAVAILABLE, "run: a VM named '%s' is running "
			   "(vmlaunch stop %s; or another instance: -o name=OTHER)", cfg->name,
			   cfg->name);
		status = cli->d->status;
	}
	strvec_clear(&ov);
	strvec_clear(&cwds);
	return status;
}

int cmd_run(const struct cli *cli)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct savestate_meta meta;
	struct vm_config cfg;
	struct vm_plan plan;
	const char *tmpdir = getenv("TMPDIR");
	struct strbuf why = STRBUF_INIT;
	int status, state = -1;

	memset(&meta, 0, sizeof(meta));
	status = cli->restore ? load_restore(cli, &meta, &state, &cfg, &plan) :
				load(cli, cli->configs[0], VALIDATE_STRICT, &cfg, &plan);
	if (status == EXIT_OK && prepare_boot_log(&plan, cli->d) < 0)
		status = EXIT_NOINPUT;
	if (status == EXIT_OK && cli->restore &&
	    (status = savestate_restore_plan(&meta, state, cli->restore, &plan,
					     tmpdir && *tmpdir ? tmpdir : "/tmp", NULL, NULL,
					     &why)) != 0)
		diag_error(cli->d, NULL, status, "%s", why.buf);
	sb_release(&why);
	savestate_meta_free(&meta);
	if (state >= 0)
		close(state);   /* QEMU reads its own descriptors */
	if (status == EXIT_OK && prepare_overlays(&plan, cli->d) < 0)
		status = EXIT_OSERR;
	if (status == EXIT_OK) {
		status = build(&plan, &cmd, cli->d);
		if (status == EXIT_OK)
			status = cfg.debug_exit ? launch_run(&cmd, cli->d) :
						  launch_exec(&cmd, cli->d);
		qemu_cmd_free(&cmd);
	}
	plan_free(&plan);
	config_free(&cfg);
	return status;
}

int cmd_print(const struct cli *cli)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct vm_config cfg;
	struct vm_plan plan;
	int status = load(cli, cli->configs[0], VALIDATE_PRINT, &cfg, &plan);
	size_t i, snapshots = 0;

	for (i = 0; status == EXIT_OK && i < plan.ndisks; i++) {
		if (!plan.disks[i].snapshot)
			continue;
		plan_set(&plan.disks[i].overlay, xstrdup("/proc/self/fd/N"));
		snapshots++;
	}
	if (snapshots) {
		struct origin at = config_origin(&cfg, KEY_SNAPSHOT);

		diag_warn(cli->d, &at, "snapshot = yes: run gives QEMU an overlay that exists "
			  "only as an open file descriptor; this command cannot be pasted as is");
	}
	if (status == EXIT_OK) {
		status = build(&plan, &cmd, cli->d);
		if (status == EXIT_OK)
			launch_print(&cmd, stdout);
		qemu_cmd_free(&cmd);
	}
	plan_free(&plan);
	config_free(&cfg);
	return status;
}
/* ---- --json: errors and warnings collected from the diag sink ---- */

struct diag_entry {
	int is_error;
	char *file;            /* NULL when the message names no file */
	unsigned line;         /* 0: none */
	char *msg;
};

struct diag_list {
	struct diag_entry *v;
	size_t n;
};

static void collect(void *ctx, int is_error, const struct origin *at, const char *msg)
{
	struct diag_list *l = ctx;
	struct diag_entry *e;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	e = &l->v[l->n++];
	e->is_error = is_error;
	e->file = at && at->file ? xstrdup(at->file) : NULL;
	e->line = at && at->file ? at->line : 0;
	e->msg = xstrdup(msg);
}

static void diag_list_clear(struct diag_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].msg);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* KEY: [{file, line, message}...] of the errors (or the warnings) in L. */
static void json_diags(struct json_writer *w, const char *key, const struct diag_list *l,
		       int errors)
{
	size_t i;

	jw_key(w, key);
	jw_begin_array(w);
	for (i = 0; i < l->n; i++) {
		if (l->v[i].is_error != errors)
			continue;
		jw_begin_object(w);
		jw_member_string(w, "file", l->v[i].file);
		jw_key(w, "line");
		if (l->v[i].line)
			jw_int(w, l->v[i].line);
		else
			jw_null(w);
		jw_member_string(w, "message", l->v[i].msg);
		jw_end_object(w);
	}
	jw_end_array(w);
}

/* The members every config's object has (vmlaunch(1), check). */
static void json_config_members(struct json_writer *w, const char *config, int status,
				const struct diag_list *l)
{
	jw_key(w, "config");
	jw_string(w, config);
	jw_key(w, "ok");
	jw_bool(w, status == EXIT_OK);
	jw_key(w, "status");
	jw_int(w, status);
	json_diags(w, "errors", l, 1);
	json_diags(w, "warnings", l, 0);
}

static void print_json(struct strbuf *sb)
{
	fputs(sb->buf ? sb->buf : "", stdout);
	fputc('\n', stdout);
}

/*
 * The VM as another manager's definition, from the plan run would use:
 * files are checked as print checks them (another host may be the target),
 * and nothing is started or created.
 */
int cmd_export(const struct cli *cli)
{
	struct device_list devs = DEVICE_LIST_INIT;
	struct strbuf why = STRBUF_INIT, xml = STRBUF_INIT;
	struct vm_config cfg;
	struct vm_plan plan;
	int status;

	if (cli->format && strcmp(cli->format, "libvirt") != 0) {
		fprintf(stderr, "vmlaunch: export: unknown format '%s' (there is: libvirt)\n"
			"Try 'vmlaunch --help'.\n", cli->format);
		return EXIT_USAGE;
	}
	status = load(cli, cli->configs[0], VALIDATE_PRINT, &cfg, &plan);
	if (status == EXIT_OK && devices_build(&plan, &devs, &why) < 0) {
		diag_error(cli->d, NULL, EXIT_INTERNAL, "internal error: cannot build the "
			   "device list: %s", why.buf);
		status = EXIT_INTERNAL;
	}
	if (status == EXIT_OK && libvirt_xml_build(&plan, &devs, &xml, cli->d))
		status = cli->d->status;
	/* All or nothing: half a domain on stdout would define a different VM. */
	if (status == EXIT_OK && (fwrite(xml.buf, 1, xml.len, stdout) != xml.len ||
				  fflush(stdout) != 0)) {
		diag_error(cli->d, NULL, EXIT_OSERR, "export: cannot write the XML: %s",
			   strerror(errno));
		status = EXIT_OSERR;
	}
	devices_free(&devs);
	sb_release(&why);
	sb_release(&xml);
	plan_free(&plan);
	config_free(&cfg);
	return status;
}

/* Every config is checked and reported; the first failure's status wins. */
int cmd_check(const struct cli *cli)
{
	struct diag *d = cli->d;
	struct diag_list l = { NULL, 0 };
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	int i, status = EXIT_OK;

	jw_init(&w, &out);
	jw_begin_array(&w);
	if (cli->json) {
		d->sink = collect;
		d->sink_ctx = &l;
	}
	for (i = 0; i < cli->nconfigs; i++) {
		struct vm_config cfg;
		struct vm_plan plan;
		int one;

		d->errors = 0;
		d->status = 0;
		one = load(cli, cli->configs[i], VALIDATE_STRICT, &cfg, &plan);
		if (cli->json) {
			jw_begin_object(&w);
			json_config_members(&w, cli->configs[i], one, &l);
			jw_end_object(&w);
			diag_list_clear(&l);
		} else if (one == EXIT_OK) {
			printf("%s: configuration OK\n", cli->configs[i]);
		}
		if (one != EXIT_OK && status == EXIT_OK)
			status = one;
		plan_free(&plan);
		config_free(&cfg);
	}
	d->sink = NULL;
	jw_end_array(&w);
	if (cli->json)
		print_json(&out);
	sb_release(&out);
	return status;
}

/* What doctor finds, then shown as text or as JSON. */
struct doctor {
	const char *qemu;          /* the program asked for */
	char *path;                /* found, or NULL */
	const char *problem;       /* NULL, "not found", "no answer", "not QEMU" */
	char version[256];
	struct kvm_probe probe;
	char why[512];
	int config_status;
	struct diag_list diags;
};

static const char *const kvm_state_names[] = {
	[KVM_USABLE] = "usable", [KVM_MISSING] = "missing", [KVM_NO_ACCESS] = "no_access",
	[KVM_BROKEN] = "broken", [KVM_PVM] = "pvm",
};

static int doctor_qemu(struct doctor *r)
{
	int answer;

	r->version[0] = '\0';
	r->path = host_find_program(r->qemu);
	if (!r->path) {
		r->problem = "not found";
		return EXIT_UNAVAILABLE;
	}
	answer = host_qemu_version(r->path, r->version, sizeof(r->version));
	if (answer < 0) {
		r->problem = answer == HOST_QEMU_NO_ANSWER ? "no answer" : "not QEMU";
		r->version[0] = '\0';
		return EXIT_UNAVAILABLE;
	}
	return EXIT_OK;
}

static void doctor_text(const struct cli *cli, const struct doctor *r, const struct vm_plan *plan,
			int status)
{
	if (!r->path)
		printf("qemu:  '%s' not found: sudo apt-get install qemu-system-x86\n", r->qemu);
	else if (r->problem && strcmp(r->problem, "no answer") == 0)
		printf("qemu:  %s did not answer --version within %d s\n", r->path,
		       HOST_QEMU_VERSION_SECONDS);
	else if (r->problem)
		printf("qemu:  %s does not answer --version: is it QEMU?\n", r->path);
	else
		printf("qemu:  %s (%s)\n", r->path, r->version);
	printf("kvm:   %s\n", r->why);
	if (r->probe.state == KVM_USABLE) {
		printf("auto:  kvm (hardware virtualisation)\n");
	} else {
		printf("auto:  tcg (software emulation, slower), since KVM is not usable here\n");
		printf("fix:   configs with accel = kvm (the default) stop here with status 69: %s\n",
		       kvm_fix(&r->probe));
	}
	if (cli->nconfigs && status == EXIT_OK)
		printf("%s: configuration OK, accel %s\n", cli->configs[0],
		       accel_name(plan->accel));
}

/* The object documented in vmlaunch(1), doctor. */
static void doctor_json(const struct cli *cli, const struct doctor *r, const struct vm_plan *plan,
			int status)
{
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	int usable = r->probe.state == KVM_USABLE;

	jw_init(&w, &out);
	jw_begin_object(&w);
	jw_key(&w, "qemu");
	jw_begin_object(&w);
	jw_member_string(&w, "program", r->qemu);
	jw_member_string(&w, "path", r->path);
	jw_member_string(&w, "version", r->problem ? NULL : r->version);
	jw_member_string(&w, "problem", r->problem);
	jw_end_object(&w);
	jw_key(&w, "kvm");
	jw_begin_object(&w);
	jw_member_string(&w, "device", cli->env.kvm_device);
	jw_member_string(&w, "state", kvm_state_names[r->probe.state]);
	jw_key(&w, "usable");
	jw_bool(&w, usable);
	jw_member_string(&w, "reason", r->why);
	jw_member_string(&w, "fix", usable ? NULL : kvm_fix(&r->probe));
	jw_end_object(&w);
	jw_member_string(&w, "auto", usable ? "kvm" : "tcg");
	jw_key(&w, "config");
	if (cli->nconfigs) {
		jw_begin_object(&w);
		json_config_members(&w, cli->configs[0], r->config_status, &r->diags);
		jw_member_string(&w, "accel", r->config_status == EXIT_OK ?
				accel_name(plan->accel) : NULL);
		jw_end_object(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "status");
	jw_int(&w, status);
	jw_end_object(&w);
	print_json(&out);
	sb_release(&out);
}

int cmd_doctor(const struct cli *cli)
{
	struct vm_config cfg;
	struct vm_plan plan;
	struct doctor r;
	int status = EXIT_OK, qemu_status;

	memset(&cfg, 0, sizeof(cfg));
	memset(&plan, 0, sizeof(plan));
	memset(&r, 0, sizeof(r));
	r.qemu = "qemu-system-x86_64";
	if (cli->json) {
		cli->d->sink = collect;
		cli->d->sink_ctx = &r.diags;
	}
	if (cli->nconfigs) {
		status = r.config_status = load(cli, cli->configs[0], VALIDATE_STRICT, &cfg, &plan);
		if (plan.qemu)
			r.qemu = plan.qemu;
	}
	cli->d->sink = NULL;
	qemu_status = doctor_qemu(&r);
	if (qemu_status != EXIT_OK)
		status = qemu_status;
	host_probe_kvm(&cli->env, &r.probe);
	kvm_problem(&cli->env, &r.probe, r.why, sizeof(r.why));
	if (cli->json)
		doctor_json(cli, &r, &plan, status);
	else
		doctor_text(cli, &r, &plan, status);
	free(r.path);
	diag_list_clear(&r.diags);
	plan_free(&plan);
	if (cli->nconfigs)
		config_free(&cfg);
	return status;
}
