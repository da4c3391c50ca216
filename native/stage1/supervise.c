/* supervise.c: the pod's PID 1 as supervisor.
 *
 * Apps are started one after the other; each start waits on the app's close-on-exec report
 * pipe, so a failure before execve stops the pod (exit 254) before the next app starts.
 * Then one loop takes signals synchronously (they stay blocked, so no handler runs
 * concurrently with anything): SIGCHLD reaps every child, apps and re-parented orphans
 * alike; SIGTERM, SIGINT, SIGHUP and SIGQUIT are forwarded to the live apps. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_AFTER_SECONDS 10

static void signal_apps(const pid_t *pids, size_t n, int sig)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0 && kill(pids[i], sig) < 0 && errno != ESRCH)
			die("kill", "-", errno);
}

/* status-dir/NAME gets the decimal status, written to a temp file and renamed into place */
static void write_status(int dirfd, const char *name, int status)
{
	char tmp[300], text[16];
	int len = snprintf(text, sizeof text, "%d\n", status), fd;

	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		die("status", name, errno);
	errno = 0;
	if (write(fd, text, (size_t)len) != len)
		die("status", name, errno ? errno : EIO);
	if (close(fd) < 0)
		die("status", name, errno);
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		die("status", name, errno);
}

static pid_t start_app(const struct app *a, mode_t app_umask, const pid_t *pids, size_t n)
{
	struct failure f;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe", a->name, errno);
	pid = fork();
	if (pid < 0)
		die("fork", a->name, errno);
	if (pid == 0)
		app_exec(a, p[1], app_umask);
	close(p[1]);
	if (fail_receive(p[0], &f)) {
		/* in a PID namespace our exit kills the rest anyway; without one, do it here */
		signal_apps(pids, n, SIGKILL);
		fail_exit(&f);
	}
	close(p[0]);
	return pid;
}

static struct timespec time_left(const struct timespec *deadline)
{
	struct timespec now, left;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		die("clock_gettime", "-", errno);
	left.tv_sec = deadline->tv_sec - now.tv_sec;
	left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left.tv_nsec < 0) {
		left.tv_sec--;
		left.tv_nsec += 1000000000L;
	}
	if (left.tv_sec < 0)
		left.tv_sec = left.tv_nsec = 0;
	return left;
}

int supervise(const struct plan *pl, int status_fd, mode_t app_umask)
{
	pid_t *pids = calloc(pl->napps, sizeof *pids);
	size_t live = 0;
	int pod_status = 0, failed = 0, killing = 0;
	struct timespec deadline = {0, 0};
	sigset_t set;

	if (!pids)
		die("calloc", "-", ENOMEM);
	for (size_t i = 0; i < pl->napps; i++, live++)
		pids[i] = start_app(&pl->apps[i], app_umask, pids, i);

	signals_forwarded(&set);
	sigaddset(&set, SIGCHLD);
	while (live > 0) {
		siginfo_t si;
		struct timespec left;
		int sig;

		if (killing) {
			left = time_left(&deadline);
			sig = sigtimedwait(&set, &si, &left);
		} else {
			sig = sigwaitinfo(&set, &si);
		}
		if (sig < 0 && errno == EAGAIN) { /* the grace period is over */
			signal_apps(pids, pl->napps, SIGKILL);
			killing = 0;
			continue;
		}
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig < 0)
			die("sigwaitinfo", "-", errno);
		if (sig != SIGCHLD) {
			signal_apps(pids, pl->napps, sig);
			continue;
		}
		for (;;) {
			int ws, st;
			pid_t pid = waitpid(-1, &ws, WNOHANG);
			size_t i;

			if (pid == 0 || (pid < 0 && errno == ECHILD))
				break;
			if (pid < 0 && errno == EINTR)
				continue;
			if (pid < 0)
				die("waitpid", "-", errno);
			for (i = 0; i < pl->napps && pids[i] != pid; i++)
				;
			if (i == pl->napps)
				continue; /* an orphan that was re-parented to us */
			pids[i] = 0;
			live--;
			st = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			write_status(status_fd, pl->apps[i].name, st);
			if (st != 0 && !failed) {
				/* the first failure decides the pod's status and stops the others */
				failed = 1;
				pod_status = st;
				signal_apps(pids, pl->napps, SIGTERM);
				if (clock_gettime(CLOCK_MONOTONIC, &deadline) < 0)
					die("clock_gettime", "-", errno);
				deadline.tv_sec += KILL_AFTER_SECONDS;
				killing = 1;
			}
		}
	}
	return pod_status;
}
