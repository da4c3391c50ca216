/* pod.c: the pod's PID 1, from fork to supervision. It opens what it needs from the host, enters
 * the pod's namespaces (namespaces.c), sets the hostname, brings up lo, writes the sysctls, builds
 * the root filesystem, pivots into it and supervises the apps. Failures go to the outer process
 * over report_fd (see fail.c). */
#include "stage1.h"
#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A new network namespace has only lo, and it is down. */
static void loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		die("socket", "lo", errno);
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("ioctl SIOCGIFFLAGS", "lo", errno);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("ioctl SIOCSIFFLAGS", "lo", errno);
	close(s);
}

/* `sysctl PATH VALUE`: written through the host's /proc/sys (opened before any namespace was
 * entered); the kernel resolves each file in the writer's namespaces, which are the pod's now.
 * Never through a symlink, never above /proc/sys. */
static void write_sysctls(const struct plan *pl, int dirfd)
{
	for (size_t i = 0; i < pl->nsysctls; i++) {
		struct rkt_open_how how = {
			.flags = O_WRONLY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		const struct sysctl_entry *e = &pl->sysctls[i];
		size_t len = strlen(e->value);
		int fd = sys_openat2(dirfd, e->path, &how);

		if (fd < 0 || write(fd, e->value, len) != (ssize_t)len)
			die("sysctl", e->path, errno);
		close(fd);
	}
}

_Noreturn void pod_main(struct plan *pl, int report_fd)
{
	mode_t app_umask;
	int status_fd, pids_fd = -1, sysctl_fd = -1, net, nkeep;
	struct applog *logs = calloc(pl->napps, sizeof *logs);
	int keep[1 + NSK_COUNT + pl->nidmaps];
	long owner_uid, owner_gid;
	sigset_t pipe_set;

	fail_set_pipe(report_fd);
	/* The lock stays with the outer process only (so it drops exactly when that exits), and
	 * no fd stage0 may have leaked is kept; the namespaces and idmapped binds are ours. */
	keep[0] = report_fd;
	nkeep = 1 + ns_keep_fds(pl, keep + 1);
	memcpy(keep + nkeep, pl->idmap_fds, pl->nidmaps * sizeof *keep);
	close_fds_keeping(keep, (size_t)nkeep + pl->nidmaps);
	/* If the outer process is killed, the pod must not run on unsupervised and unlocked. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die("prctl", "PR_SET_PDEATHSIG", errno);
	/* Inherited through fork already; said again because it is what keeps apps from
	 * ptracing PID 1 or opening /proc/1/exe (CVE-2019-5736). */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		die("prctl", "PR_SET_DUMPABLE", errno);
	/* Without a PID namespace, orphans of the apps are still ours to reap. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("prctl", "PR_SET_CHILD_SUBREAPER", errno);
	/* Modes in the plan are exact; the apps get the caller's umask back. */
	app_umask = umask(0);

	/* Host paths first, while the host's mount namespace is ours: a joined one may not show
	 * them, and after pivot_root nothing does. */
	status_fd = open_dir(AT_FDCWD, pl->status_dir);
	if (pl->pids_dir)
		pids_fd = open_dir(AT_FDCWD, pl->pids_dir);
	if (!logs)
		die("calloc", "-", ENOMEM);
	for (size_t i = 0; i < pl->napps; i++)
		applog_open(&pl->apps[i], &logs[i]);
	isolate_open_cgroups(pl);
	isolate_attach_devices(pl);
	console_connect(pl);
	if (pl->nsysctls)
		sysctl_fd = open_dir(AT_FDCWD, "/proc/sys");

	/* A network namespace joined (one CNI ran in, another container's) or made inside the user
	 * namespace comes before the others are made, so that nothing of the pod ever sees the
	 * host's network. */
	net = (pl->ns_flags & CLONE_NEWNET) || pl->ns_fd[NSK_NET] >= 0;
	ns_enter_pod(pl);
	if (pl->hostname && sethostname(pl->hostname, strlen(pl->hostname)) < 0)
		die("sethostname", pl->hostname, errno);
	if (net)
		loopback_up();
	write_sysctls(pl, sysctl_fd);
	close_fd(&sysctl_fd);
	/* a console that went away must give EPIPE on our writes, not kill the supervisor */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &pipe_set, NULL) < 0)
		die("sigprocmask", "-", errno);
	/* what the root gets that the image lacks belongs to the user namespace's root */
	if (userns_root_owner(pl, &owner_uid, &owner_gid))
		rootfs_set_owner(owner_uid, owner_gid);
	rootfs_setup(pl);
	/* with pause-fifo, once the first app's child waits (supervise.c) */
	if (!pl->pause_fifo)
		rootfs_pivot(pl);
	_exit(supervise(pl, status_fd, pids_fd, app_umask, logs));
}
