/* isolate.c: what an app's child applies to itself just before execve, exactly as the plan says
 * (no defaults here): its cgroups, oom_score_adj, rlimits, the capability bounding set, the permitted and
 * effective sets (inheritable and ambient cleared), no_new_privs and the seccomp filter, which
 * goes last because it may forbid the calls before it. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT_RAISE
#define PR_CAP_AMBIENT_RAISE 2
#endif
#ifndef PR_CAP_AMBIENT_CLEAR_ALL
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#define RKT_CAP_VERSION_3 0x20080522
#define RKT_SECCOMP_SET_MODE_FILTER 1

struct rkt_cap_header {
	uint32_t version;
	int pid;
};
struct rkt_cap_data {
	uint32_t effective, permitted, inheritable;
};
struct rkt_sock_fprog {
	unsigned short len;
	const void *filter;
};

/* read-write, so that a read blocks (rather than seeing EOF) until a writer comes and writes;
 * O_NONBLOCK keeps the open itself from waiting (the reader clears it) */
static int open_fifo(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		die("open", path, errno);
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		die_reason("open", path, EINVAL, "not a FIFO");
	return fd;
}

/* one byte from a FIFO, blocking */
static char read_fifo_byte(int fd, const char *path)
{
	char byte;
	ssize_t n;

	n = RETRY_EINTR(read(fd, &byte, 1));
	if (n != 1)
		die("read", path, n < 0 ? errno : EIO);
	return byte;
}

void isolate_open_cgroups(struct plan *pl)
{
	char path[4200];

	if (pl->pause_fifo)
		pl->pause_fd = open_fifo(pl->pause_fifo);

	for (size_t i = 0; i < pl->napps; i++) {
		struct app *a = &pl->apps[i];

		for (size_t j = 0; j < a->ncgroups; j++) {
			if (snprintf(path, sizeof path, "%s/cgroup.procs", a->cgroups[j]) >= (int)sizeof path)
				die("cgroup", a->cgroups[j], ENAMETOOLONG);
			a->cgroup_fds[j] = open(path, O_WRONLY | O_CLOEXEC);
			if (a->cgroup_fds[j] < 0)
				die("cgroup", path, errno);
		}
		if (a->wait_fifo)
			a->wait_fd = open_fifo(a->wait_fifo);
	}
}

/* while still root (raising a hard limit needs CAP_SYS_RESOURCE); the plan has them in order */
void isolate_rlimits(const struct app *a)
{
	for (size_t i = 0; i < a->nrlimits; i++) {
		struct rlimit rl = {(rlim_t)a->rlimits[i].soft, (rlim_t)a->rlimits[i].hard};

		if (setrlimit(a->rlimits[i].resource, &rl) < 0)
			die("setrlimit", a->name, errno);
	}
}

/* a record that is not a failure: the app's child tells PID 1 where it is */
static void tell_pid1(int report_fd, const char *what)
{
	struct failure f;

	memset(&f, 0, sizeof f);
	snprintf(f.what, sizeof f.what, "%s", what);
	fail_send(report_fd, &f);
}

/* pause-fifo: in its cgroups and user namespace, the first app's child says "paused" and waits
 * for PID 1 to let it go on, which it does after pivot_root; it then enters the new root. */
void isolate_hold(const struct app *a, int report_fd)
{
	char c;

	if (a->hold_fd < 0)
		return;
	tell_pid1(report_fd, "paused");
	if (RETRY_EINTR(read(a->hold_fd, &c, 1)) != 1) /* PID 1 is gone */
		_exit(EXIT_HELPER);
	if (fchdir(a->root_fd) < 0 || chroot(".") < 0)
		die("chroot", "/", errno);
	close(a->hold_fd);
	close(a->root_fd);
}

/* With start hooks, `start` writes the container's state as one line of JSON. */
static char *read_state_line(int fd, const char *path, size_t *len)
{
	size_t cap = 4096;
	char *buf = malloc(cap);

	*len = 0;
	for (;;) {
		if (!buf)
			die("read", path, ENOMEM);
		buf[*len] = read_fifo_byte(fd, path);
		if (buf[*len] == '\n')
			return buf;
		if (++*len == cap) {
			if (cap >= (1 << 20))
				die_reason("read", path, E2BIG, "state line above 1 MiB");
			buf = realloc(buf, cap *= 2);
		}
	}
}

/* The app is ready but for the seal and execve: say so to PID 1 (a "created" record on the
 * report pipe), then block until the start byte (or, with start hooks, the state line) can be
 * read from the FIFO; run the start hooks. */
void isolate_wait(const struct app *a, int report_fd)
{
	int fl;

	if (a->wait_fd < 0)
		return;
	fl = fcntl(a->wait_fd, F_GETFL);
	if (fl < 0 || fcntl(a->wait_fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		die("fcntl", a->wait_fifo, errno);
	tell_pid1(report_fd, "created");
	if (a->nstart_hooks) {
		size_t len;
		char *state = read_state_line(a->wait_fd, a->wait_fifo, &len);

		close(a->wait_fd);
		hooks_run_start(a, state, len);
		free(state);
		return;
	}
	read_fifo_byte(a->wait_fd, a->wait_fifo);
	close(a->wait_fd);
}

/* bpf(2) attributes, the leading fields of union bpf_attr (the rest stays zero) */
union rkt_bpf_attr {
	struct {
		uint32_t prog_type, insn_cnt;
		uint64_t insns, license;
	} load;
	struct {
		uint32_t target_fd, attach_bpf_fd, attach_type, attach_flags;
	} attach;
	unsigned char size[128];
};
#define RKT_BPF_PROG_LOAD 5
#define RKT_BPF_PROG_ATTACH 8
#define RKT_BPF_PROG_TYPE_CGROUP_DEVICE 15
#define RKT_BPF_CGROUP_DEVICE 6
#define RKT_BPF_F_ALLOW_MULTI 2
#ifndef SYS_bpf
#define SYS_bpf 321
#endif

/* v2 device allow-lists: each app's program is loaded and attached to its (only) cgroup before
 * anything joins it; ALLOW_MULTI, so programs of enclosing groups (systemd's) still apply too */
void isolate_attach_devices(const struct plan *pl)
{
	for (size_t i = 0; i < pl->napps; i++) {
		const struct app *a = &pl->apps[i];
		union rkt_bpf_attr attr;
		int prog, dir;

		if (!a->devices_prog)
			continue;
		memset(&attr, 0, sizeof attr);
		attr.load.prog_type = RKT_BPF_PROG_TYPE_CGROUP_DEVICE;
		attr.load.insn_cnt = (uint32_t)a->devices_len;
		attr.load.insns = (uint64_t)(uintptr_t)a->devices_prog;
		attr.load.license = (uint64_t)(uintptr_t)"Apache-2.0";
		prog = (int)syscall(SYS_bpf, RKT_BPF_PROG_LOAD, &attr, sizeof attr);
		if (prog < 0)
			die("devices-bpf", a->devices_file, errno);
		dir = open(a->cgroups[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0)
			die("devices-bpf", a->cgroups[0], errno);
		memset(&attr, 0, sizeof attr);
		attr.attach.target_fd = (uint32_t)dir;
		attr.attach.attach_bpf_fd = (uint32_t)prog;
		attr.attach.attach_type = RKT_BPF_CGROUP_DEVICE;
		attr.attach.attach_flags = RKT_BPF_F_ALLOW_MULTI;
		if (syscall(SYS_bpf, RKT_BPF_PROG_ATTACH, &attr, sizeof attr) < 0)
			die("devices-bpf", a->cgroups[0], errno);
		close(dir);
		close(prog);
	}
}

/* "0" moves the writing process; done first, so everything the app does is accounted there */
void isolate_join_cgroups(const struct app *a)
{
	for (size_t j = 0; j < a->ncgroups; j++)
		if (write(a->cgroup_fds[j], "0", 1) != 1)
			die("cgroup", a->cgroups[j], errno);
}

/* after chroot: /proc is the app's (the pod's) proc */
void isolate_oom_score_adj(const struct app *a)
{
	char text[16];
	int fd, len;

	if (!a->have_oom_score_adj)
		return;
	len = snprintf(text, sizeof text, "%d", a->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("oom-score-adj", "/proc/self/oom_score_adj", errno);
	if (write(fd, text, (size_t)len) != len)
		die("oom-score-adj", a->name, errno);
	close(fd);
}

/* the capability set k, or otherwise if the plan has none */
static uint64_t caps_or(const struct app *a, int k, uint64_t otherwise)
{
	return a->have_caps[k] ? a->caps[k] : otherwise;
}

/* while still root, with CAP_SETPCAP: drop every capability the bounding set must not have */
void isolate_bounding_set(const struct app *a)
{
	if (!a->have_caps[CAPS_BOUNDING])
		return;
	for (int cap = 0; cap < 64; cap++) {
		if (a->caps[CAPS_BOUNDING] & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL) /* past the kernel's last capability */
				break;
			die("prctl", "PR_CAPBSET_DROP", errno);
		}
	}
	/* so that permitted capabilities survive setuid to a non-zero uid, when some are wanted */
	if (a->have_caps[CAPS_EFFECTIVE] &&
	    (a->caps[CAPS_EFFECTIVE] | caps_or(a, CAPS_PERMITTED, 0)) && a->uid != 0 &&
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die("prctl", "PR_SET_KEEPCAPS", errno);
}

/* after setuid: effective = permitted = the mask; inheritable and ambient empty */
void isolate_capabilities(const struct app *a)
{
	struct rkt_cap_header hdr = {RKT_CAP_VERSION_3, 0};
	struct rkt_cap_data data[2];

	if (!a->have_caps[CAPS_EFFECTIVE])
		return;
	uint64_t permitted = caps_or(a, CAPS_PERMITTED, a->caps[CAPS_EFFECTIVE]);
	uint64_t inheritable = caps_or(a, CAPS_INHERITABLE, 0);

	memset(data, 0, sizeof data);
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(a->caps[CAPS_EFFECTIVE] >> (32 * i));
		data[i].permitted = (uint32_t)(permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset", a->name, errno);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("prctl", "PR_CAP_AMBIENT_CLEAR_ALL", errno);
	/* each ambient capability must be permitted and inheritable already (EPERM otherwise) */
	for (int cap = 0; cap < 64 && a->have_caps[CAPS_AMBIENT]; cap++)
		if ((a->caps[CAPS_AMBIENT] & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			die("prctl", "PR_CAP_AMBIENT_RAISE", errno);
}

void isolate_seccomp(const struct app *a)
{
	struct rkt_sock_fprog prog;

	if (!a->filter)
		return;
	prog.len = (unsigned short)a->filter_len;
	prog.filter = a->filter;
	if (syscall(SYS_seccomp, RKT_SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp", a->seccomp_file, errno);
}

/* the very last step before execve (a before-ids filter is in place already) */
void isolate_seal(const struct app *a)
{
	if (a->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("prctl", "PR_SET_NO_NEW_PRIVS", errno);
	if (!a->seccomp_before_ids)
		isolate_seccomp(a);
}
