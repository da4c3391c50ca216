/* pod.c: the pod's PID 1, from fork to supervision. It enters the remaining namespaces, sets
 * the hostname, joins or makes the network namespace and brings up lo, builds the root filesystem, pivots into it and supervises the
 * apps. Failures go to the outer process over report_fd (see fail.c). */
#include "stage1.h"

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

static void join_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open", path, errno);
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns", path, errno);
	close(fd);
}

_Noreturn void pod_main(const struct plan *pl, int report_fd)
{
	mode_t app_umask;
	int status_fd, pids_fd = -1;
	struct applog *logs = calloc(pl->napps, sizeof *logs);
	int keep[2 + pl->nidmaps];
	sigset_t pipe_set;

	fail_set_pipe(report_fd);
	/* The lock stays with the outer process only (so it drops exactly when that exits), and
	 * no fd stage0 may have leaked is kept; the user namespace and idmapped binds are ours. */
	keep[0] = report_fd;
	keep[1] = pl->userns_fd;
	memcpy(keep + 2, pl->idmap_fds, pl->nidmaps * sizeof *keep);
	close_fds_keeping(keep, 2 + pl->nidmaps);
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

	/* A network namespace prepared by stage0 (CNI ran in it) is joined before the others are
	 * made, so that nothing of the pod ever sees the host's network. */
	if (pl->netns)
		join_netns(pl->netns);
	if (unshare(pl->ns_flags & ~CLONE_NEWPID) < 0)
		die("unshare", "-", errno);
	if (pl->hostname && sethostname(pl->hostname, strlen(pl->hostname)) < 0)
		die("sethostname", pl->hostname, errno);
	if (pl->domainname && setdomainname(pl->domainname, strlen(pl->domainname)) < 0)
		die("setdomainname", pl->domainname, errno);
	if ((pl->ns_flags & CLONE_NEWNET) || pl->netns)
		loopback_up();
	/* opened now: after pivot_root the host path is out of reach */
	status_fd = open(pl->status_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (status_fd < 0)
		die("open", pl->status_dir, errno);
	if (pl->pids_dir && (pids_fd = open(pl->pids_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("open", pl->pids_dir, errno);
	if (!logs)
		die("calloc", "-", ENOMEM);
	for (size_t i = 0; i < pl->napps; i++)
		applog_open(&pl->apps[i], &logs[i]);
	/* a console that went away must give EPIPE on our writes, not kill the supervisor */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &pipe_set, NULL) < 0)
		die("sigprocmask", "-", errno);
	if (pl->userns_count) /* what the root gets that the image lacks: the pod's root's */
		rootfs_set_owner((long)pl->userns_shift, (long)pl->userns_shift);
	rootfs_setup(pl);
	/* the host's cgroupfs is out of reach after pivot_root */
	isolate_open_cgroups(pl);
	console_connect(pl);
	isolate_attach_devices(pl);
	rootfs_pivot(pl);
	_exit(supervise(pl, status_fd, pids_fd, app_umask, logs));
}
