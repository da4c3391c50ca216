/* namespaces.c: the pod's namespaces, new or joined.
 *
 * The outer process opens every `join TYPE PATH` (in the host's mount namespace) and checks that
 * it is a namespace of that type. With a user namespace, new or joined, the other new namespaces
 * are made inside it, so that it owns them (root in the pod then holds its capabilities over its
 * own network, hostname, mounts...): a child enters the user namespace and unshares them, and the
 * outer process keeps fds on them. From then on they are entered exactly like joined ones. The
 * PID namespace is entered (or made) by the outer process, since it applies to PID 1, its next
 * child (see MADE_INSIDE); PID 1, which stays in the host's user namespace (it keeps its privileges to build the
 * pod), enters the others and makes what is still to make. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#define RKT_NS_GET_NSTYPE 0xb703 /* _IO(0xb7, 0x3) */
#define RKT_NSFS_MAGIC 0x6e736673

static const struct {
	const char *name, *proc; /* as `join` writes it; under /proc/PID/ns/ */
	int flag;
} kinds[NSK_COUNT] = {
	[NSK_MNT] = {"mount", "mnt", CLONE_NEWNS},
	[NSK_UTS] = {"uts", "uts", CLONE_NEWUTS},
	[NSK_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
	[NSK_NET] = {"net", "net", CLONE_NEWNET},
	[NSK_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
	[NSK_PID] = {"pid", "pid", CLONE_NEWPID},
	[NSK_USER] = {"user", "user", CLONE_NEWUSER},
};
/* What a child inside the user namespace makes. Not the PID namespace: /proc/PID/ns/
 * pid_for_children cannot be opened before a process lives in it, and the first one would be its
 * init; it is made by the outer process (owned by the host's user namespace), and a cgroup
 * namespace is an app's own, made after it joined its cgroups. */
#define MADE_INSIDE (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)

static void open_joined(struct plan *pl)
{
	for (int k = 0; k < NSK_COUNT; k++) {
		const char *path = pl->join_path[k];
		char reason[64], self[32];
		struct statfs sfs;
		int fd, pfd;

		if (!path)
			continue;
		/* looked at through an O_PATH fd first: a FIFO or a device is never opened */
		pfd = open(path, O_PATH | O_CLOEXEC);
		if (pfd < 0)
			die("join", path, errno);
		snprintf(reason, sizeof reason, "not a namespace of type %s", kinds[k].name);
		if (fstatfs(pfd, &sfs) < 0 || sfs.f_type != RKT_NSFS_MAGIC)
			die_reason("join", path, EINVAL, reason);
		snprintf(self, sizeof self, "/proc/self/fd/%d", pfd);
		fd = open(self, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("join", path, errno);
		close(pfd);
		if (ioctl(fd, RKT_NS_GET_NSTYPE) != kinds[k].flag)
			die_reason("join", path, EINVAL, reason);
		pl->ns_fd[k] = fd;
	}
}

static void wait_for(pid_t pid)
{
	int ws;

	if (RETRY_EINTR(waitpid(pid, &ws, 0)) < 0)
		die("waitpid", "-", errno);
}

/* The child: in the user namespace (made by clone, or joined), it says so, waits for its maps,
 * unshares what the plan makes, says so, and waits for the outer process to have opened them.
 * Its own failures are reported by itself (it is the outer process's copy: same error file). */
static _Noreturn void inside(struct plan *pl, int go, int done)
{
	char c;

	if (pl->ns_fd[NSK_USER] >= 0 && setns(pl->ns_fd[NSK_USER], CLONE_NEWUSER) < 0)
		die("setns", pl->join_path[NSK_USER], errno);
	if (write(done, "1", 1) != 1 || read(go, &c, 1) != 1)
		_exit(EXIT_HELPER);
	if (unshare(pl->ns_flags & MADE_INSIDE) < 0)
		die("unshare", "-", errno);
	if (write(done, "1", 1) != 1)
		_exit(EXIT_HELPER);
	while (read(go, &c, 1) > 0)
		;
	_exit(0);
}

static void make_inside_userns(struct plan *pl)
{
	int go[2], done[2], dirfd;
	char path[64], c;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		die("pipe", "-", errno);
	/* a new user namespace is the child's own, born with it */
	if (pl->ns_flags & CLONE_NEWUSER)
		pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	else
		pid = fork();
	if (pid < 0)
		die("clone", "user", errno);
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		inside(pl, go[0], done[1]);
	}
	close(go[0]);
	close(done[1]);
	/* one byte when it is in the user namespace, one when it has made the others; EOF: it
	 * failed, and said why */
	if (read(done[0], &c, 1) != 1) {
		wait_for(pid);
		exit(EXIT_HELPER);
	}
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	dirfd = open_dir(AT_FDCWD, path);
	if (pl->ns_flags & CLONE_NEWUSER) {
		userns_write_maps(pid, pl);
	} else if (pl->nuid_map && !userns_same_maps(dirfd, pl)) {
		die_reason("join", pl->join_path[NSK_USER], EINVAL,
			   "its uid_map or gid_map differs from the plan's uid-map and gid-map");
	}
	if (write(go[1], "1", 1) != 1)
		die("write", "-", errno);
	if (read(done[0], &c, 1) != 1) {
		wait_for(pid);
		exit(EXIT_HELPER);
	}
	for (int k = 0; k < NSK_COUNT; k++) {
		if (!(pl->ns_flags & kinds[k].flag & (MADE_INSIDE | CLONE_NEWUSER)))
			continue;
		snprintf(path, sizeof path, "ns/%s", kinds[k].proc);
		pl->ns_fd[k] = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
		if (pl->ns_fd[k] < 0)
			die("open", path, errno);
	}
	pl->ns_flags &= ~(MADE_INSIDE | CLONE_NEWUSER);
	close(dirfd);
	close(go[1]);
	close(done[0]);
	wait_for(pid);
}

/* setns into the namespace held as ns_fd[k]; the fd is closed after */
static void enter_ns(struct plan *pl, int k)
{
	if (setns(pl->ns_fd[k], kinds[k].flag) < 0)
		die("setns", pl->join_path[k] ? pl->join_path[k] : kinds[k].name, errno);
	close_fd(&pl->ns_fd[k]);
}

void ns_prepare(struct plan *pl)
{
	open_joined(pl);
	if ((pl->ns_flags & CLONE_NEWUSER) || pl->ns_fd[NSK_USER] >= 0)
		make_inside_userns(pl);
	for (size_t i = 0; i < pl->napps; i++)
		pl->apps[i].userns_fd = pl->ns_fd[NSK_USER];
	userns_idmaps(pl);
	/* setns and unshare of a PID namespace apply to our next child: PID 1 */
	if (pl->ns_fd[NSK_PID] >= 0)
		enter_ns(pl, NSK_PID);
	else if ((pl->ns_flags & CLONE_NEWPID) && unshare(CLONE_NEWPID) < 0)
		die("unshare", "pid", errno);
}

int ns_keep_fds(const struct plan *pl, int *fds)
{
	int n = 0;

	for (int k = 0; k < NSK_COUNT; k++)
		if (pl->ns_fd[k] >= 0)
			fds[n++] = pl->ns_fd[k];
	return n;
}

/* PID 1: the namespaces held as fds (the mount namespace last, as nsenter does), then the new
 * ones still to make. The user namespace stays for the apps. */
void ns_enter_pod(struct plan *pl)
{
	static const int order[] = {NSK_CGROUP, NSK_IPC, NSK_UTS, NSK_NET, NSK_MNT};

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (pl->ns_fd[order[i]] >= 0)
			enter_ns(pl, order[i]);
	if (unshare(pl->ns_flags & ~(CLONE_NEWPID | CLONE_NEWUSER)) < 0)
		die("unshare", "-", errno);
}
