/* plan.c: read the plan file (format v1, docs/stage1-interface.md) into struct plan.
 *
 * The plan is the helper's only input and it holds no defaults of its own, so parsing is
 * strict: an unknown directive, a repeated one, a bad number or a missing required field is
 * an error (exit 254), never guessed at. */
#include "stage1.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <fcntl.h>

#define MAX_FIELDS 8
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#define NS_SEEN    1 /* no CLONE_NEW* flag uses bit 0; cleared again in check() */

struct word {
	const char *name;
	unsigned long bits;
};

static const struct word mount_flags[] = {
	{"ro", MS_RDONLY}, {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV}, {"noexec", MS_NOEXEC},
	{"bind", MS_BIND}, {"rec", MS_REC}, {"remount", MS_REMOUNT}, {"private", MS_PRIVATE},
	{"slave", MS_SLAVE}, {"shared", MS_SHARED}, {"strictatime", MS_STRICTATIME},
	{"relatime", MS_RELATIME}, {"noatime", MS_NOATIME}, {"unbindable", MS_UNBINDABLE},
	{NULL, 0},
};
static const struct word mount_opts[] = {
	{"mkdir", OPT_MKDIR}, {"mkfile", OPT_MKFILE}, {"nofollow", OPT_NOFOLLOW},
	{"optional", OPT_OPTIONAL}, {"self", OPT_SELF}, {NULL, 0},
};
static const struct word app_namespaces[] = {
	{"mount", CLONE_NEWNS}, {"cgroup", CLONE_NEWCGROUP}, {NULL, 0},
};
static const struct word namespaces[] = {
	{"mount", CLONE_NEWNS}, {"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS},
	{"ipc", CLONE_NEWIPC}, {"net", CLONE_NEWNET}, {"user", CLONE_NEWUSER}, {NULL, 0},
};
static const struct word join_types[] = {
	{"mount", NSK_MNT}, {"pid", NSK_PID}, {"uts", NSK_UTS}, {"ipc", NSK_IPC},
	{"net", NSK_NET}, {"cgroup", NSK_CGROUP}, {"user", NSK_USER}, {NULL, 0},
};

/* where we are, for error messages */
static const char *plan_file;
static int lineno;
/* after `hook NAME`: the hook the following directives describe, until the next hook or app */
static struct app *current_hook;

const char *const hook_names[NHOOKS] = {"pre-start", "post-stop"};

static _Noreturn void bad(const char *fmt, const char *arg)
{
	char where[4096], reason[200];

	if (lineno > 0)
		snprintf(where, sizeof where, "%s:%d", plan_file, lineno);
	else /* a check of the whole plan */
		snprintf(where, sizeof where, "%s", plan_file);
	snprintf(reason, sizeof reason, fmt, arg ? arg : "");
	die_reason("plan", where, EINVAL, reason);
}

static void *grow(void *p, size_t n, size_t size)
{
	p = realloc(p, (n + 1) * size);
	if (!p)
		die("plan", plan_file, ENOMEM);
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes one field. The field "%00" is the empty string; a NUL anywhere else is
 * refused (no syscall could take it), and so is a field left empty by a doubled or trailing
 * space, which is more likely a bug than meant. */
static char *decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		die("plan", plan_file, ENOMEM);
	if (!*s)
		bad("empty field (write an empty value as %%00)", NULL);
	if (strcmp(s, "%00") == 0)
		s += 3;
	for (; *s; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			bad("bad percent-encoding", NULL);
		*o++ = (char)(hi * 16 + lo);
		s += 2;
	}
	*o = 0;
	return out;
}

/* "-" means none for the fields that allow it */
static char *or_none(char *s) { return strcmp(s, "-") == 0 ? NULL : s; }

static char *abs_path(char *s)
{
	if (s[0] != '/')
		bad("not an absolute path: %s", s);
	return s;
}

/* Strict unsigned decimal: digits only, no sign, no blanks, at most maxlen digits and max. */
static unsigned long long decimal(const char *s, size_t maxlen, unsigned long long max)
{
	unsigned long long v = 0;

	if (!*s || strlen(s) > maxlen)
		bad("bad number: %s", s);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			bad("bad number", NULL);
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	if (v > max)
		bad("number out of range", NULL);
	return v;
}

static unsigned long number(const char *s, unsigned long max) { return decimal(s, 10, max); }

/* a file mode or umask in octal digits, at most max */
static mode_t octal(const char *s, unsigned long max)
{
	char *end;
	unsigned long mode = strtoul(s, &end, 8);

	if (!*s || *end || s[0] == '-' || s[0] == '+' || mode > max)
		bad("bad mode: %s", s);
	return (mode_t)mode;
}

/* uid/gid: 4294967295 is (uid_t)-1, which setuid and friends take as "no change" */
static unsigned long id_number(const char *s) { return number(s, 4294967294UL); }

/* the word of table that s (its first n bytes) is, or NULL */
static const struct word *find_word(const char *s, size_t n, const struct word *table)
{
	while (table->name && (strlen(table->name) != n || strncmp(table->name, s, n) != 0))
		table++;
	return table->name ? table : NULL;
}

/* the one word of table that s is; why: the error if it is none */
static unsigned long one_word(const char *s, const struct word *table, const char *why)
{
	const struct word *w = find_word(s, strlen(s), table);

	if (!w)
		bad(why, s);
	return w->bits;
}

/* a comma-separated list of words of table, or "-" for none */
static unsigned long words(const char *list, const struct word *table)
{
	unsigned long bits = 0;

	if (strcmp(list, "-") == 0)
		return 0;
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		const struct word *w = find_word(p, n, table);

		if (!w)
			bad("unknown word in list: %s", list);
		bits |= w->bits;
		p += n;
		if (!*p)
			return bits;
	}
}

/* `lock-fd` / `error-fd N`: an open fd of the caller's, above stdin, stdout and stderr */
static void read_fd(int *fd, const char *s, const char *d)
{
	if (*fd >= 0)
		bad("repeated directive", NULL);
	*fd = (int)number(s, INT_MAX);
	if (*fd <= 2)
		bad("%s must be above 2", d);
}

static void push(char ***list, size_t *n, char *s)
{
	*list = grow(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = s;
	(*list)[*n] = NULL;
}

static void once(char **slot, char *value)
{
	if (*slot)
		bad("repeated directive", NULL);
	*slot = value;
}

/* `uid-map` / `gid-map INSIDE OUTSIDE COUNT`: 1 to 340 lines (the kernel's limit), each range
 * within the 32-bit ids */
static int id_map(struct plan *pl, const char *d, char **f, int n)
{
	struct id_range r, **list;
	size_t *count;

	if (n != 3 || (strcmp(d, "uid-map") != 0 && strcmp(d, "gid-map") != 0))
		return 0;
	list = d[0] == 'u' ? &pl->uid_map : &pl->gid_map;
	count = d[0] == 'u' ? &pl->nuid_map : &pl->ngid_map;
	r.inside = number(f[0], 4294967294UL);
	r.outside = number(f[1], 4294967294UL);
	r.count = number(f[2], 4294967295UL);
	if (!r.count || r.count > 4294967295UL - r.inside || r.count > 4294967295UL - r.outside)
		bad("%s: range out of bounds", d);
	if (*count >= 340)
		bad("%s: more than 340 lines", d);
	*list = grow(*list, *count, sizeof r);
	(*list)[(*count)++] = r;
	return 1;
}

/* An enter plan has one pod-phase directive: which process to enter; and the maps of the user
 * namespace it must be in. */
static void enter_directive(struct plan *pl, const char *d, char **f, int n)
{
	if (id_map(pl, d, f, n))
		return;
	/* an open file of the caller's: after setns(mnt) no host path can be trusted to write to */
	if (strcmp(d, "error-fd") == 0 && n == 1) {
		read_fd(&pl->error_fd, f[0], d);
		return;
	}
	if (strcmp(d, "enter") != 0 || n != 3)
		bad("not allowed in an enter plan, or wrong field count: %s", d);
	if (pl->enter_pid)
		bad("repeated directive", NULL);
	pl->enter_pid = (pid_t)number(f[0], INT_MAX);
	pl->enter_ppid = (pid_t)number(f[1], INT_MAX);
	pl->enter_start = decimal(f[2], 19, ULLONG_MAX); /* clock ticks */
	if (pl->enter_pid < 1 || pl->enter_ppid < 1)
		bad("enter: bad PID", NULL);
}

static void pod_directive(struct plan *pl, const char *d, char **f, int n)
{
	struct op op;

	if (pl->enter) {
		enter_directive(pl, d, f, n);
		return;
	}
	memset(&op, 0, sizeof op);
	if (strcmp(d, "pids-dir") == 0 && n == 1) {
		once(&pl->pids_dir, abs_path(f[0]));
	} else if (strcmp(d, "pod-dir") == 0 && n == 1) {
		once(&pl->pod_dir, abs_path(f[0]));
	} else if (strcmp(d, "error-file") == 0 && n == 1) {
		once(&pl->error_file, abs_path(f[0]));
	} else if (strcmp(d, "status-dir") == 0 && n == 1) {
		once(&pl->status_dir, abs_path(f[0]));
	} else if (strcmp(d, "root") == 0 && n == 1) {
		once(&pl->root, abs_path(f[0]));
	} else if (id_map(pl, d, f, n)) {
		/* read */
	} else if (strcmp(d, "join") == 0 && n == 2) {
		once(&pl->join_path[one_word(f[0], join_types, "unknown word: %s")], abs_path(f[1]));
	} else if (strcmp(d, "sysctl") == 0 && n == 2) {
		/* a path below /proc/sys: relative, no empty, "." or ".." component */
		for (const char *p = f[0];; p += strcspn(p, "/") + 1) {
			size_t len = strcspn(p, "/");
			if (!len || (len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2)))
				bad("sysctl: bad path below /proc/sys: %s", f[0]);
			if (!p[len])
				break;
		}
		pl->sysctls = grow(pl->sysctls, pl->nsysctls, sizeof *pl->sysctls);
		pl->sysctls[pl->nsysctls].path = f[0];
		pl->sysctls[pl->nsysctls++].value = f[1];
	} else if (strcmp(d, "pause-fifo") == 0 && n == 1) {
		once(&pl->pause_fifo, abs_path(f[0]));
	} else if (strcmp(d, "idmap") == 0 && n == 1) {
		pl->idmaps = grow(pl->idmaps, pl->nidmaps, sizeof *pl->idmaps);
		pl->idmap_fds = grow(pl->idmap_fds, pl->nidmaps, sizeof *pl->idmap_fds);
		pl->idmaps[pl->nidmaps] = abs_path(f[0]);
		pl->idmap_fds[pl->nidmaps++] = -1;
	} else if (strcmp(d, "hostname") == 0 && n == 1) {
		if (!*f[0] || strlen(f[0]) > 64)
			bad("bad hostname", NULL);
		once(&pl->hostname, f[0]);
	} else if (strcmp(d, "lock-fd") == 0 && n == 1) {
		read_fd(&pl->lock_fd, f[0], d);
	} else if (strcmp(d, "namespaces") == 0 && n == 1) {
		if (pl->ns_flags)
			bad("repeated directive", NULL);
		pl->ns_flags = (int)words(f[0], namespaces) | NS_SEEN;
	} else if (strcmp(d, "mount") == 0 && n == 6) {
		op.kind = OP_MOUNT;
		op.source = or_none(f[0]);
		op.target = abs_path(f[1]);
		op.fstype = or_none(f[2]);
		op.flags = words(f[3], mount_flags);
		op.data = or_none(f[4]);
		op.opts = (unsigned)words(f[5], mount_opts);
		if ((op.opts & OPT_SELF) && (op.source || !(op.flags & MS_BIND) ||
					     (op.flags & MS_REMOUNT)))
			bad("mount option self needs a bind, and - as source", NULL);
	} else if (strcmp(d, "symlink") == 0 && n == 2) {
		op.kind = OP_SYMLINK;
		op.source = f[0];
		op.target = abs_path(f[1]);
		if (!*op.source)
			bad("empty symlink target", NULL);
	} else if (strcmp(d, "in-root") == 0 && n == 1) {
		op.kind = OP_IN_ROOT;
		op.target = abs_path(f[0]);
	} else if (strcmp(d, "mkdir") == 0 && n == 2) {
		op.kind = OP_MKDIR;
		op.target = abs_path(f[0]);
		op.mode = octal(f[1], 07777);
	} else if (strcmp(d, "mknod") == 0 && n == 7) {
		op.kind = OP_MKNOD;
		op.target = abs_path(f[0]);
		if (strcmp(f[1], "c") != 0 && strcmp(f[1], "b") != 0 && strcmp(f[1], "p") != 0)
			bad("mknod type is c, b or p: %s", f[1]);
		op.mode = octal(f[4], 07777) |
			  (f[1][0] == 'c' ? S_IFCHR : f[1][0] == 'b' ? S_IFBLK : S_IFIFO);
		op.dev = makedev(number(f[2], 4095), number(f[3], 1048575));
		op.uid = (uid_t)id_number(f[5]);
		op.gid = (gid_t)id_number(f[6]);
	} else if (strcmp(d, "root-propagation") == 0 && n == 1) {
		if (pl->root_propagation)
			bad("repeated directive", NULL);
		pl->root_propagation = words(f[0], mount_flags);
		unsigned long prop = pl->root_propagation & ~MS_REC;
		if (prop != MS_PRIVATE && prop != MS_SLAVE && prop != MS_SHARED &&
		    prop != MS_UNBINDABLE)
			bad("root-propagation is one of private, slave, shared, unbindable (and rec)",
			    NULL);
	} else {
		bad("unknown directive or wrong field count: %s", d);
	}
	if (strcmp(d, "mount") == 0 || strcmp(d, "symlink") == 0 || strcmp(d, "mkdir") == 0 ||
	    strcmp(d, "mknod") == 0 || strcmp(d, "in-root") == 0) {
		pl->ops = grow(pl->ops, pl->nops, sizeof op);
		pl->ops[pl->nops++] = op;
	}
}


/* exactly 16 hex digits, as /proc/PID/status shows capability sets */
static uint64_t cap_mask(const char *s)
{
	uint64_t v = 0;

	if (strlen(s) != 16)
		bad("capability mask is not 16 hex digits: %s", s);
	for (; *s; s++) {
		int h = hexval(*s);
		if (h < 0)
			bad("capability mask is not 16 hex digits", NULL);
		v = v << 4 | (uint64_t)h;
	}
	return v;
}

/* a whole program of 8-byte instructions (seccomp's sock_filter, eBPF's bpf_insn), read now:
 * no path to it exists inside the pod */
static unsigned char *read_insns(char *path, const char *what, size_t *count)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(abs_path(path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		die("open", path, errno);
	if (fstat(fd, &st) < 0)
		die("read", path, errno);
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size % 8 || st.st_size > 4096 * 8) {
		char reason[100];
		snprintf(reason, sizeof reason, "not a %s program (1 to 4096 instructions of 8 bytes)",
			 what);
		die_reason(what, path, EINVAL, reason);
	}
	buf = malloc((size_t)st.st_size);
	if (!buf)
		die("plan", plan_file, ENOMEM);
	for (size_t got = 0; got < (size_t)st.st_size;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			die("read", path, n < 0 ? errno : EIO);
		got += (size_t)n;
	}
	close(fd);
	*count = (size_t)st.st_size / 8;
	return buf;
}

static const struct word rlimit_names[] = {
	{"RLIMIT_CPU", RLIMIT_CPU}, {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_STACK", RLIMIT_STACK}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", RLIMIT_RTTIME}, {NULL, 0},
};

/* an rlimit value: strict decimal up to 2^64-1, or "unlimited" (RLIM_INFINITY) */
static uint64_t rlimit_value(const char *s)
{
	uint64_t v = 0;

	if (strcmp(s, "unlimited") == 0)
		return (uint64_t)RLIM_INFINITY;
	if (!*s || strlen(s) > 20)
		bad("bad rlimit value: %s", s);
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			bad("bad rlimit value", NULL);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

static void rlimit_directive(struct app *a, char **f)
{
	struct rlimit_entry r;

	r.resource = (int)one_word(f[0], rlimit_names, "unknown rlimit: %s");
	r.soft = rlimit_value(f[1]);
	r.hard = rlimit_value(f[2]);
	if (r.soft > r.hard)
		bad("rlimit soft value above the hard one: %s", f[0]);
	for (size_t i = 0; i < a->nrlimits; i++)
		if (a->rlimits[i].resource == r.resource)
			bad("repeated rlimit: %s", f[0]);
	a->rlimits = grow(a->rlimits, a->nrlimits, sizeof r);
	a->rlimits[a->nrlimits++] = r;
}

static const struct word cap_sets[] = {
	{"caps-bounding", CAPS_BOUNDING}, {"caps-effective", CAPS_EFFECTIVE},
	{"caps-permitted", CAPS_PERMITTED}, {"caps-inheritable", CAPS_INHERITABLE},
	{"caps-ambient", CAPS_AMBIENT}, {NULL, 0},
};

static void app_directive(const struct plan *pl, struct app *a, const char *d, char **f, int n)
{
	const struct word *set;

	/* entering, the root and the mount namespace are the running app's own */
	if (pl->enter && (strcmp(d, "log") == 0 || strcmp(d, "app-root") == 0 ||
			  strcmp(d, "unshare") == 0 || strcmp(d, "devices-bpf") == 0 ||
			  strcmp(d, "start-hook") == 0 || strcmp(d, "wait-fifo") == 0))
		bad("not allowed in an enter plan: %s", d);
	if (strcmp(d, "rlimit") == 0 && n == 3) {
		rlimit_directive(a, f);
		return;
	}
	if (strcmp(d, "home-from-passwd") == 0 && n == 0 && !a->home_from_passwd) {
		a->home_from_passwd = 1;
		return;
	}
	if (strcmp(d, "console-size") == 0 && n == 2 && !a->console_rows) {
		a->console_rows = (unsigned short)number(f[0], 65535);
		a->console_cols = (unsigned short)number(f[1], 65535);
		if (!a->console_rows || !a->console_cols)
			bad("console-size: rows and columns must be above 0", NULL);
		return;
	}
	if (strcmp(d, "start-hook") == 0 && n == 2) {
		a->start_hooks = grow(a->start_hooks, a->nstart_hooks, sizeof *a->start_hooks);
		memset(&a->start_hooks[a->nstart_hooks], 0, sizeof *a->start_hooks);
		a->start_hooks[a->nstart_hooks].path = abs_path(f[0]);
		a->start_hooks[a->nstart_hooks++].timeout = number(f[1], 86400);
		return;
	}
	if (strcmp(d, "hook-arg") == 0 || strcmp(d, "hook-env") == 0) {
		struct hook *h = a->nstart_hooks ? &a->start_hooks[a->nstart_hooks - 1] : NULL;

		if (!h || n != 1)
			bad("%s needs one field, after a start-hook", d);
		if (d[5] == 'a')
			push(&h->argv, &h->argc, f[0]);
		else if (f[0][0] == '=' || !strchr(f[0], '='))
			bad("hook-env is not NAME=VALUE", NULL);
		else
			push(&h->envp, &h->envc, f[0]);
		return;
	}
	if (strcmp(d, "seccomp") == 0 && (n == 1 || n == 2) && !a->filter) {
		if (n == 2 && strcmp(f[1], "before-ids") != 0)
			bad("seccomp's second field can only be before-ids", NULL);
		a->filter = read_insns(f[0], "seccomp", &a->filter_len);
		a->seccomp_file = f[0];
		a->seccomp_before_ids = n == 2;
		return;
	}
	if (strcmp(d, "log") == 0 && n == 2 && !a->log_dir) {
		a->log_dir = abs_path(f[0]);
		/* at least a page: a smaller bound would rotate on almost every write */
		a->log_max = number(f[1], 4294967295UL);
		if (a->log_max < 4096)
			bad("log size below 4096", NULL);
		return;
	}
	if (n != 1)
		bad("wrong field count for %s", d);
	if (strcmp(d, "app-root") == 0) {
		once(&a->root, abs_path(f[0]));
	} else if (strcmp(d, "exec") == 0) {
		if (!*f[0])
			bad("empty exec", NULL);
		once(&a->exec, f[0]);
	} else if (strcmp(d, "arg") == 0) {
		push(&a->argv, &a->argc, f[0]);
	} else if (strcmp(d, "env") == 0) {
		if (f[0][0] == '=' || !strchr(f[0], '='))
			bad("env is not NAME=VALUE", NULL);
		push(&a->envp, &a->envc, f[0]);
	} else if (strcmp(d, "cwd") == 0) {
		once(&a->cwd, abs_path(f[0]));
	} else if (strcmp(d, "uid") == 0 && !a->have_uid) {
		a->uid = (uid_t)id_number(f[0]);
		a->have_uid = 1;
	} else if (strcmp(d, "gid") == 0 && !a->have_gid) {
		a->gid = (gid_t)id_number(f[0]);
		a->have_gid = 1;
	} else if (strcmp(d, "unshare") == 0 && !a->unshare_flags) {
		a->unshare_flags = (int)words(f[0], app_namespaces);
		if (!a->unshare_flags)
			bad("unshare needs mount or cgroup", NULL);
	} else if (strcmp(d, "groups") == 0 && !a->have_groups) {
		a->have_groups = 1;
		for (char *p = f[0], *next; strcmp(f[0], "-") != 0 && p; p = next) {
			next = strchr(p, ',');
			if (next)
				*next++ = 0;
			if (a->ngroups >= 65536)
				bad("too many groups", NULL);
			a->groups = grow(a->groups, a->ngroups, sizeof *a->groups);
			a->groups[a->ngroups++] = (gid_t)id_number(p);
		}
	} else if ((set = find_word(d, strlen(d), cap_sets)) && !a->have_caps[set->bits]) {
		a->caps[set->bits] = cap_mask(f[0]);
		a->have_caps[set->bits] = 1;
	} else if (strcmp(d, "wait-fifo") == 0 && !a->wait_fifo) {
		a->wait_fifo = abs_path(f[0]);
	} else if (strcmp(d, "console-socket") == 0 && !a->console_socket) {
		a->console_socket = abs_path(f[0]);
	} else if (strcmp(d, "no-new-privs") == 0 && !a->have_no_new_privs) {
		if (strcmp(f[0], "yes") != 0 && strcmp(f[0], "no") != 0)
			bad("no-new-privs is yes or no", NULL);
		a->no_new_privs = strcmp(f[0], "yes") == 0;
		a->have_no_new_privs = 1;
	} else if (strcmp(d, "umask") == 0 && !a->have_umask) {
		a->umask = octal(f[0], 0777);
		a->have_umask = 1;
	} else if (strcmp(d, "oom-score-adj") == 0 && !a->have_oom_score_adj) {
		int neg = f[0][0] == '-';
		unsigned long v = number(f[0] + neg, 1000);
		a->oom_score_adj = neg ? -(int)v : (int)v;
		a->have_oom_score_adj = 1;
	} else if (strcmp(d, "devices-bpf") == 0 && !a->devices_prog) {
		a->devices_prog = read_insns(f[0], "devices-bpf", &a->devices_len);
		a->devices_file = f[0];
	} else if (strcmp(d, "cgroup") == 0) {
		size_t k = a->ncgroups;
		a->cgroups = grow(a->cgroups, k, sizeof *a->cgroups);
		a->cgroup_fds = grow(a->cgroup_fds, k, sizeof *a->cgroup_fds);
		a->cgroups[k] = abs_path(f[0]);
		a->cgroup_fds[k] = -1;
		a->ncgroups++;
	} else {
		bad("unknown or repeated app directive: %s", d);
	}
}

/* `hook NAME`: the directives that follow, up to the next `hook` or `app`, describe it */
static void hook_directive(const struct plan *pl, struct app *a, char **f, int n)
{
	int k = 0;

	if (pl->enter)
		bad("not allowed in an enter plan: hook", NULL);
	if (n != 1)
		bad("wrong field count for hook", NULL);
	while (k < NHOOKS && strcmp(hook_names[k], f[0]) != 0)
		k++;
	if (k == NHOOKS)
		bad("unknown hook: %s", f[0]);
	if (a->hooks[k])
		bad("repeated hook: %s", f[0]);
	a->hooks[k] = calloc(1, sizeof *a->hooks[k]);
	if (!a->hooks[k])
		die("plan", plan_file, ENOMEM);
	a->hooks[k]->name = a->name;
	current_hook = a->hooks[k];
}

/* A hook has its own program, ids and capability sets; the rest is its app's, whose own
 * directives therefore come before its hooks. */
static const struct word hook_allows[] = {
	{"exec", 0}, {"arg", 0}, {"uid", 0}, {"gid", 0}, {"groups", 0}, {"caps-effective", 0},
	{"caps-permitted", 0}, {"caps-inheritable", 0}, {"caps-ambient", 0}, {NULL, 0},
};

static void app_line(const struct plan *pl, struct app *a, const char *d, char **f, int n)
{
	if (strcmp(d, "hook") == 0) {
		hook_directive(pl, a, f, n);
	} else if (current_hook) {
		if (!find_word(d, strlen(d), hook_allows))
			bad("not allowed in a hook (the app's own directives come before its hooks): %s", d);
		app_directive(pl, current_hook, d, f, n);
	} else {
		app_directive(pl, a, d, f, n);
	}
}

/* the other sets are given relative to the effective one; alone they mean nothing */
static void check_caps(const struct app *a, const char *what)
{
	if ((a->have_caps[CAPS_PERMITTED] || a->have_caps[CAPS_INHERITABLE] ||
	     a->have_caps[CAPS_AMBIENT]) && !a->have_caps[CAPS_EFFECTIVE])
		bad("%s: caps-permitted, caps-inheritable, caps-ambient need caps-effective", what);
}

static void check_hooks(const struct app *a)
{
	for (int k = 0; k < NHOOKS; k++) {
		const struct app *h = a->hooks[k];
		char what[300];

		if (!h)
			continue;
		snprintf(what, sizeof what, "app %s, hook %s", a->name, hook_names[k]);
		if (!h->exec || !h->argc || !h->have_uid || !h->have_gid)
			bad("%s lacks one of exec, arg, uid, gid", what);
		check_caps(h, what);
	}
}

/* an app without env directives gets an empty environment */
static char *no_env[] = {NULL};

static void check_enter(struct plan *pl)
{
	struct app *a = pl->apps;

	if (!pl->enter_pid)
		bad("missing enter", NULL);
	if (!pl->nuid_map != !pl->ngid_map)
		bad("uid-map and gid-map go together", NULL);
	if (pl->napps != 1)
		bad("an enter plan has exactly one app", NULL);
	if (!a->exec || !a->argc || !a->cwd || !a->have_uid || !a->have_gid)
		bad("app %s lacks one of exec, arg, cwd, uid, gid", a->name);
	a->root = "."; /* app_exec's chroot: the enter child first fchdirs into the app's root */
	if (!a->envp)
		a->envp = no_env;
}

static void check(struct plan *pl)
{
	lineno = 0;
	if (pl->enter) {
		check_enter(pl);
		return;
	}
	pl->ns_flags &= ~NS_SEEN;
	if (!pl->pod_dir || !pl->error_file || !pl->status_dir || !pl->root || pl->lock_fd < 0)
		bad("missing one of pod-dir, error-file, status-dir, root, lock-fd", NULL);
	if (pl->nidmaps && !(pl->ns_flags & CLONE_NEWUSER))
		bad("idmap needs a new user namespace (user in namespaces)", NULL);
	/* a new user namespace gets its maps from us; a joined one may have them checked */
	if ((pl->ns_flags & CLONE_NEWUSER) && (!pl->nuid_map || !pl->ngid_map))
		bad("user in namespaces needs uid-map and gid-map", NULL);
	if ((pl->nuid_map || pl->ngid_map) && !(pl->ns_flags & CLONE_NEWUSER) &&
	    !pl->join_path[NSK_USER])
		bad("uid-map and gid-map need a user namespace (user in namespaces, or join user)",
		    NULL);
	for (size_t i = 0; i < pl->napps; i++) {
		if (pl->apps[i].devices_prog && pl->apps[i].ncgroups != 1)
			bad("devices-bpf needs exactly one cgroup (v2): app %s", pl->apps[i].name);
		check_hooks(&pl->apps[i]);
	}
	/* joining one and creating another is a contradiction */
	for (const struct word *w = namespaces; w->name; w++)
		if ((pl->ns_flags & (int)w->bits) && pl->join_path[one_word(w->name, join_types, "unknown word: %s")])
			bad("%s both in namespaces and joined", w->name);
	if (pl->hostname && !(pl->ns_flags & CLONE_NEWUTS) && !pl->join_path[NSK_UTS])
		bad("hostname needs the uts namespace (new or joined)", NULL);
	if (pl->napps == 0)
		bad("no app", NULL);
	for (size_t i = 0; i < pl->napps; i++) {
		struct app *a = &pl->apps[i];
		char what[300];

		if (!a->root || !a->exec || !a->argc || !a->cwd || !a->have_uid || !a->have_gid)
			bad("app %s lacks one of app-root, exec, arg, cwd, uid, gid", a->name);
		if (a->nstart_hooks && !a->wait_fifo)
			bad("app %s: start-hook needs wait-fifo", a->name);
		snprintf(what, sizeof what, "app %s", a->name);
		check_caps(a, what);
		if (!a->envp)
			a->envp = no_env;
		for (size_t j = 0; j < i; j++)
			if (strcmp(pl->apps[j].name, a->name) == 0)
				bad("duplicate app name: %s", a->name);
	}
	/* without these namespaces the mounts, pivot_root and hostname would hit the host */
	if (!(pl->ns_flags & CLONE_NEWNS) && !pl->join_path[NSK_MNT])
		bad("namespaces must include mount, or join one", NULL);
}

/* Before parsing, find error-file so that even an early plan error lands in it. */
static void find_error_file(FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, in)) > 0) {
		if (strncmp(line, "error-file /", 12) != 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		if (!strchr(line + 11, ' ') && !strchr(line + 11, '%'))
			fail_set_error_file(strdup(line + 11));
		break;
	}
	free(line);
	rewind(in);
}

void plan_load(const char *path, struct plan *pl, int enter)
{
	char *line = NULL, *f[MAX_FIELDS + 1];
	size_t cap = 0;
	ssize_t len;
	FILE *in;

	memset(pl, 0, sizeof *pl);
	pl->file = plan_file = path;
	pl->lock_fd = -1;
	pl->error_fd = -1;
	pl->pause_fd = -1;
	for (int k = 0; k < NSK_COUNT; k++)
		pl->ns_fd[k] = -1;
	pl->enter = enter;
	in = fopen(path, "re");
	if (!in)
		die("open", path, errno);
	if (!enter) /* an enter plan has no error file: its errors go to stderr only */
		find_error_file(in);
	while (errno = 0, (len = getline(&line, &cap, in)) >= 0) {
		int n = 0;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = 0;
		if (lineno == 1) {
			if (strcmp(line, "rkt-stage1-plan 1") != 0)
				bad("not a version 1 plan (first line must be \"rkt-stage1-plan 1\")",
				    NULL);
			continue;
		}
		if (len == 0 || line[0] == '#')
			continue;
		for (ssize_t i = 0; i < len; i++)
			if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
				bad("byte outside printable ASCII", NULL);
		/* split on single spaces */
		for (char *p = line, *sp;; p = sp + 1) {
			if (n == MAX_FIELDS + 1)
				bad("too many fields", NULL);
			sp = strchr(p, ' ');
			if (sp)
				*sp = 0;
			f[n++] = p;
			if (!sp)
				break;
		}
		for (int i = 1; i < n; i++)
			f[i] = decode(f[i]);
		if (strcmp(f[0], "app") == 0) {
			/* the name becomes a file name in status-dir */
			if (n != 2 || !*f[1] || strlen(f[1]) > 200 || strchr(f[1], '/') ||
			    !strcmp(f[1], ".") || !strcmp(f[1], ".."))
				bad("bad app name", NULL);
			pl->apps = grow(pl->apps, pl->napps, sizeof *pl->apps);
			pl->apps[pl->napps++] = (struct app){.name = f[1], .wait_fd = -1,
				.console_fd = -1, .userns_fd = -1, .hold_fd = -1, .root_fd = -1};
			current_hook = NULL;
		} else if (pl->napps) {
			app_line(pl, &pl->apps[pl->napps - 1], f[0], f + 1, n - 1);
		} else {
			pod_directive(pl, f[0], f + 1, n - 1);
		}
	}
	if (errno)
		die("read", path, errno);
	if (lineno == 0)
		bad("empty plan", NULL);
	free(line);
	fclose(in);
	check(pl);
}
