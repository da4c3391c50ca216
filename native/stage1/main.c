/* main.c: rkt-stage1's entry point and its outer process.
 *
 * stage0 execs us in its own place, so this process is what the caller started: it keeps the
 * pod lock (close-on-exec) while the pod lives, forks the pod's PID 1 into a new PID
 * namespace, records PID 1's host PID in <pod-dir>/pid, forwards the stop signals to it and
 * exits with the pod's status. It is also the only process that writes the error file. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* <pod-dir>/pid, written to a temp file and renamed, so a reader never sees half of it */
static void write_pid_file(const char *dir, pid_t pid)
{
	char tmp[4200], path[4200], text[16];
	int len = snprintf(text, sizeof text, "%d\n", (int)pid), fd;

	if (snprintf(path, sizeof path, "%s/pid", dir) >= (int)sizeof path ||
	    snprintf(tmp, sizeof tmp, "%s/pid.tmp", dir) >= (int)sizeof tmp)
		die("pid-file", dir, ENAMETOOLONG);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		die("pid-file", tmp, errno);
	errno = 0;
	if (write(fd, text, (size_t)len) != len)
		die("pid-file", tmp, errno ? errno : EIO);
	if (close(fd) < 0)
		die("pid-file", tmp, errno);
	if (rename(tmp, path) < 0)
		die("pid-file", path, errno);
}

/* Waits for the child, forwarding the blocked stop signals to it meanwhile. */
static int wait_child(pid_t child, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int ws, sig = (int)RETRY_EINTR(sigwaitinfo(set, &si));
		pid_t pid;

		if (sig < 0)
			die("sigwaitinfo", "-", errno);
		if (sig != SIGCHLD) {
			if (kill(child, sig) < 0 && errno != ESRCH)
				die("kill", "-", errno);
			continue;
		}
		pid = (pid_t)RETRY_EINTR(waitpid(child, &ws, WNOHANG));
		if (pid < 0)
			die("waitpid", "-", errno);
		if (pid == child)
			return ws;
	}
}

/* Waits for CHILD, then passes on its outcome: a failure record it sent over REPORT_FD (exit
 * 254), else its status (128+N when killed by signal N). Once it has exited, a record is whole in
 * the pipe; non-blocking, in case a grandchild still holds the write end for an instant. */
int finish_child(pid_t child, const sigset_t *set, int report_fd)
{
	struct failure f;
	int ws = wait_child(child, set);

	if (fcntl(report_fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl", "-", errno);
	if (fail_receive(report_fd, &f)) {
		fail_report(&f);
		return EXIT_HELPER;
	}
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static int run(const char *plan_file)
{
	struct plan pl;
	sigset_t set;
	int report[2], fl;
	char fdname[16];
	pid_t child;

	/* apps must not ptrace us or reopen /proc/<pid>/exe for writing (CVE-2019-5736) */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		die("prctl", "PR_SET_DUMPABLE", errno);
	plan_load(plan_file, &pl, 0);
	fail_set_error_file(pl.error_file);

	snprintf(fdname, sizeof fdname, "%d", pl.lock_fd);
	fl = fcntl(pl.lock_fd, F_GETFD);
	if (fl < 0 || fcntl(pl.lock_fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		die("lock-fd", fdname, errno);
	ns_prepare(&pl);

	/* Signals are taken synchronously with sigwaitinfo, so block them before fork: none can
	 * be lost between fork and the wait. Dispositions that stage0 set (Node ignores SIGPIPE)
	 * go back to default, and PID 1 inherits both. */
	signals_reset();
	signals_forwarded(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask", "-", errno);

	if (pipe2(report, O_CLOEXEC) < 0)
		die("pipe", "-", errno);
	/* ns_prepare entered or made the PID namespace for our children: the next fork is PID 1 */
	child = fork();
	if (child < 0)
		die("fork", "-", errno);
	if (child == 0) {
		close(report[0]);
		pod_main(&pl, report[1]);
	}
	close(report[1]);
	/* PDEATHSIG in PID 1 takes the pod down if we exit here */
	write_pid_file(pl.pod_dir, child);

	return finish_child(child, &set, report[0]);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("rkt-stage1 plan-version %d\n", PLAN_VERSION);
		return fflush(stdout) == 0 ? 0 : EXIT_HELPER;
	}
	if (argc == 3 && strcmp(argv[1], "run") == 0)
		return run(argv[2]);
	if (argc == 3 && strcmp(argv[1], "enter") == 0)
		return enter_main(argv[2]);
	die_reason("usage", "-", EINVAL,
		   "usage: rkt-stage1 run PLAN-FILE | rkt-stage1 enter PLAN-FILE | rkt-stage1 version");
}
