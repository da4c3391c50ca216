/* enter.c: `rkt-stage1 enter PLAN`: run a command inside a running app with exactly the
 * app's isolation, never less (rkt's CVE-2019-10144/10145/10147 were an enter that skipped
 * the bounding set, seccomp and the cgroups).
 *
 * The plan names the app's process (host PID, its parent: the pod's PID 1, and its start
 * time) and carries the app's block as stage0 decided it for the app itself. Everything of the
 * app is opened first, through one /proc/PID directory fd, which pins that process: if it
 * exits, every later open through the fd fails rather than reach a process that reused the
 * PID. Then: join the app's cgroups, setns into each namespace (pid takes effect for
 * children), fchdir into the app's root, fork; the child is app_exec's (app.c) sequence:
 * close fds, chroot, cwd, oom_score_adj, bounding set, groups/gid/uid, capabilities,
 * no_new_privs + seccomp, execve. This process waits for it, forwarding the stop signals,
 * and exits with its status. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* every namespace but user, which must be ours (checked); mnt last, as nsenter does */
static const struct {
	const char *name;
	int flag, optional; /* optional: a kernel without it (time: 5.6) */
} nss[] = {
	{"cgroup", CLONE_NEWCGROUP, 0}, {"ipc", CLONE_NEWIPC, 0}, {"uts", CLONE_NEWUTS, 0},
	{"net", CLONE_NEWNET, 0},       {"pid", CLONE_NEWPID, 0}, {"time", CLONE_NEWTIME, 1},
	{"mnt", CLONE_NEWNS, 0},
};
#define NNS (sizeof nss / sizeof nss[0])

/* /proc/PID/stat through the pinned fd: still the child of the pod's PID 1 that stage0 found,
 * started when stage0 saw it start; otherwise the PID was reused and this is not the app */
static void check_target(int dirfd, const struct plan *pl, const char *proc)
{
	char buf[4096], *p, *save = NULL;
	unsigned long long start = 0;
	long ppid = -1;
	ssize_t n;
	int fd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open", proc, errno);
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		die("read", proc, errno);
	close(fd);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p)
		die_reason("enter", proc, EINVAL, "cannot parse /proc/PID/stat");
	/* fields from 3 (state) on; ppid is 4, starttime 22 */
	p = strtok_r(p + 1, " ", &save);
	for (int field = 3; p; field++, p = strtok_r(NULL, " ", &save)) {
		if (field == 4)
			ppid = strtol(p, NULL, 10);
		if (field == 22) {
			start = strtoull(p, NULL, 10);
			break;
		}
	}
	if (ppid != pl->enter_ppid || start != pl->enter_start)
		die_reason("enter", proc, ESRCH, "the process is no longer the app (it exited)");
}

#define RKT_NS_GET_PARENT 0xb702 /* _IO(0xb7, 0x2) */

/* Without uid-map the app must be in our user namespace: another one would change what its
 * capabilities mean. With them, the app's must be a child of ours with exactly the plan's maps
 * (not one the app made itself); returns an fd on it, to join last. */
static int check_user_ns(int dirfd, const struct plan *pl, const char *proc)
{
	struct stat app, self, parent;
	int fd, pfd;

	if (fstatat(dirfd, "ns/user", &app, 0) < 0)
		die("open", proc, errno);
	if (stat("/proc/self/ns/user", &self) < 0)
		die("open", "/proc/self/ns/user", errno);
	if (!pl->nuid_map) {
		if (app.st_ino != self.st_ino || app.st_dev != self.st_dev)
			die_reason("enter", proc, EINVAL, "the app is in another user namespace");
		return -1;
	}
	fd = openat(dirfd, "ns/user", O_RDONLY | O_CLOEXEC);
	pfd = fd < 0 ? -1 : ioctl(fd, RKT_NS_GET_PARENT);
	if (pfd < 0 || fstat(pfd, &parent) < 0)
		die("open", "ns/user", errno);
	close(pfd);
	if (parent.st_ino != self.st_ino || parent.st_dev != self.st_dev || !userns_same_maps(dirfd, pl))
		die_reason("enter", proc, EINVAL, "the app's user namespace is not the pod's");
	return fd;
}

int enter_main(const char *plan_file)
{
	struct plan pl;
	struct app *a;
	struct applog nolog = {-1, {-1, -1}, {-1, -1}, {-1, -1}, {0, 0}, 0};
	char proc[32], name[48];
	int dirfd, rootfd, nsfd[NNS], report[2], userfd;
	sigset_t set;
	mode_t um;
	pid_t child;

	/* the app must not ptrace us or reopen /proc/<pid>/exe (CVE-2019-5736); the child
	 * inherits this until its execve */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		die("prctl", "PR_SET_DUMPABLE", errno);
	plan_load(plan_file, &pl, 1);
	a = &pl.apps[0];
	/* the plan's fd and anything else the caller left open stop here, but the error file */
	close_fds_except(pl.error_fd);
	if (pl.error_fd >= 0) {
		int fl = fcntl(pl.error_fd, F_GETFD);

		if (fl < 0 || fcntl(pl.error_fd, F_SETFD, fl | FD_CLOEXEC) < 0)
			die("error-fd", "-", errno);
		fail_set_error_fd(pl.error_fd);
	}

	snprintf(proc, sizeof proc, "/proc/%d", (int)pl.enter_pid);
	dirfd = open_dir(AT_FDCWD, proc);
	check_target(dirfd, &pl, proc);
	userfd = check_user_ns(dirfd, &pl, proc);
	for (size_t i = 0; i < NNS; i++) {
		snprintf(name, sizeof name, "ns/%s", nss[i].name);
		nsfd[i] = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
		if (nsfd[i] < 0 && !(nss[i].optional && errno == ENOENT))
			die("open", name, errno);
	}
	/* the app's root as the app sees it, in its own mount namespace */
	rootfd = open_dir(dirfd, "root");
	close(dirfd);

	/* the cgroups first, with host paths; the child inherits them */
	isolate_open_cgroups(&pl);
	isolate_join_cgroups(a);
	for (size_t j = 0; j < a->ncgroups; j++)
		close(a->cgroup_fds[j]);
	a->ncgroups = 0;
	/* the console socket is a host path: connected before the setns below */
	console_connect(&pl);

	signals_reset();
	signals_forwarded(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask", "-", errno);

	for (size_t i = 0; i < NNS; i++) {
		if (nsfd[i] < 0)
			continue;
		if (setns(nsfd[i], nss[i].flag) < 0)
			die("setns", nss[i].name, errno);
		close(nsfd[i]);
	}
	/* the pod's user namespace last: once in it, those the host's owns (PID, cgroup, a CNI
	 * network namespace) could no longer be entered (namespaces.c) */
	userns_join(userfd);
	close_fd(&userfd);
	/* setns(mnt) moved us to the namespace's root; app_exec chroots into "." */
	if (fchdir(rootfd) < 0)
		die("chdir", "root", errno);
	close(rootfd);

	if (pipe2(report, O_CLOEXEC) < 0)
		die("pipe", "-", errno);
	um = umask(0);
	umask(um);
	/* the first fork after setns(pid) is the one inside the app's PID namespace */
	child = fork();
	if (child < 0)
		die("fork", "-", errno);
	if (child == 0) {
		close(report[0]);
		app_exec(a, report[1], um, &nolog);
	}
	close(report[1]);
	close_fd(&a->console_fd); /* the child sends the pty's master; ours is not needed */
	return finish_child(child, &set, report[0]);
}
