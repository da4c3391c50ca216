/* supervise.c: the pod's PID 1 as supervisor.
 *
 * Apps are started one after the other; each start waits on the app's close-on-exec report
 * pipe, so a failure before execve stops the pod (exit 254) before the next app starts.
 * Then one poll loop takes signals synchronously through a signalfd (they stay blocked, so
 * no handler runs concurrently with anything) and the logged apps' output pipes (applog.c):
 * SIGCHLD reaps every child, apps and re-parented orphans alike; SIGTERM, SIGINT, SIGHUP and
 * SIGQUIT are forwarded to the live apps. An app with a post-stop hook is not gone when it
 * exits: its status is written, and the hook is started in its place (same log, same signals)
 * and waited for too. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
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

/* status-dir/NAME gets text, written to a temp file and renamed into place */
static void write_file(int dirfd, const char *name, const char *text)
{
	char tmp[320];
	int len = (int)strlen(text), fd;

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

/* status-dir/NAME gets the decimal status */
static void write_status(int dirfd, const char *name, int status)
{
	char text[16];

	snprintf(text, sizeof text, "%d\n", status);
	write_file(dirfd, name, text);
}

/* pause-fifo, on the first app's "paused": say so (status-dir/NAME.paused), wait for stage0's
 * byte on the FIFO, pivot_root and let the child go on. If the child goes away meanwhile (its
 * report pipe wakes us), the pod fails without ever pivoting. */
static void release_paused(const struct plan *pl, const struct app *a, int report_rd, int hold_wr,
			   int status_fd)
{
	struct pollfd fds[2] = {{pl->pause_fd, POLLIN, 0}, {report_rd, POLLIN, 0}};
	char marker[300], byte;

	snprintf(marker, sizeof marker, "%s.paused", a->name);
	write_file(status_fd, marker, "");
	while (!(fds[0].revents & POLLIN)) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			die("poll", pl->pause_fifo, errno);
		if (fds[1].revents)
			die_reason("pause-fifo", a->name, ECHILD, "the app's child went away while paused");
	}
	if (read(pl->pause_fd, &byte, 1) != 1)
		die("read", pl->pause_fifo, errno);
	rootfs_pivot(pl);
	if (write(hold_wr, "1", 1) != 1)
		die("write", a->name, errno);
}

/* Starts app a (or a hook's process in its place); held: the pause-fifo's first app. n: how many
 * of pids are apps to kill if it fails. */
static pid_t start_app(const struct plan *pl, struct app *a, int held, mode_t app_umask,
		       const pid_t *pids, size_t n, struct applog *log, int status_fd)
{
	struct failure f;
	int p[2], hold[2] = {-1, -1};
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe", a->name, errno);
	/* pause-fifo: the first app's child is forked before pivot_root and held */
	if (held) {
		if (pipe2(hold, O_CLOEXEC) < 0)
			die("pipe", a->name, errno);
		a->hold_fd = hold[0];
		a->root_fd = open_dir(AT_FDCWD, pl->root);
	}
	applog_pipes(log, a->name);
	pid = fork();
	if (pid < 0)
		die("fork", a->name, errno);
	if (pid == 0)
		app_exec(a, p[1], app_umask, log);
	close(p[1]);
	/* the child has the console socket; the pty's master goes from it to the caller */
	close_fd(&a->console_fd);
	if (hold[0] >= 0) {
		close(hold[0]);
		close(a->root_fd);
	}
	applog_parent(log);
	/* wait-fifo: the child says "created" when it waits; status-dir/NAME.created says so to
	 * stage0. It goes on to execve (EOF) or fails (a record) once a byte reaches the FIFO. */
	while (fail_receive(p[0], &f)) {
		char marker[300];

		if (strcmp(f.what, "paused") == 0 && f.err == 0 && hold[1] >= 0) {
			release_paused(pl, a, p[0], hold[1], status_fd);
			close_fd(&hold[1]);
			continue;
		}
		if (strcmp(f.what, "created") != 0 || f.err != 0) {
			/* in a PID namespace our exit kills the rest anyway; without one, do it here */
			signal_apps(pids, n, SIGKILL);
			fail_exit(&f);
		}
		snprintf(marker, sizeof marker, "%s.created", a->name);
		write_file(status_fd, marker, "");
	}
	/* EOF before the release: the child is gone, and the pod never pivoted */
	if (hold[1] >= 0)
		die_reason("pause-fifo", a->name, ECHILD, "the app's child went away while paused");
	close(p[0]);
	return pid;
}

/* milliseconds until deadline, at least 0 */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		die("clock_gettime", "-", errno);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* What PID 1 keeps about the apps while it supervises them. */
struct supervisor {
	const struct plan *pl;
	pid_t *pids;          /* each app's process (or its post-stop hook's); 0 once gone */
	char *post_stopping;  /* pids[i] is app i's post-stop hook */
	int status_fd;
	mode_t app_umask;
	struct applog *logs;
	int failed, pod_status, killing;
	struct timespec deadline; /* when the apps still running after a failure get SIGKILL */
};

/* The first failure decides the pod's status and stops the others. */
static void app_failed(struct supervisor *s, int st)
{
	s->failed = 1;
	s->pod_status = st;
	signal_apps(s->pids, s->pl->napps, SIGTERM);
	if (clock_gettime(CLOCK_MONOTONIC, &s->deadline) < 0)
		die("clock_gettime", "-", errno);
	s->deadline.tv_sec += KILL_AFTER_SECONDS;
	s->killing = 1;
}

/* App i's process has exited with st; returns 1 if the app is gone, 0 if its post-stop hook
 * now runs in its place. */
static int app_exited(struct supervisor *s, size_t i, int st)
{
	const struct app *a = &s->pl->apps[i];
	char name[300];

	if (s->post_stopping[i]) { /* the hook's status, beside the app's */
		s->post_stopping[i] = 0;
		snprintf(name, sizeof name, "%s.post-stop", a->name);
		write_status(s->status_fd, name, st);
		return 1;
	}
	write_status(s->status_fd, a->name, st);
	if (st != 0 && !s->failed)
		app_failed(s, st);
	if (!a->hooks[HOOK_POST_STOP])
		return 1;
	struct app hook = hook_process(a, HOOK_POST_STOP);
	s->pids[i] = start_app(s->pl, &hook, 0, s->app_umask, s->pids, s->pl->napps, &s->logs[i],
			       s->status_fd);
	s->post_stopping[i] = 1;
	return 0;
}

/* Reaps what has exited; returns the number of apps that are gone. */
static size_t reap(struct supervisor *s)
{
	size_t gone = 0;

	for (;;) {
		int ws;
		pid_t pid = (pid_t)RETRY_EINTR(waitpid(-1, &ws, WNOHANG));
		size_t i;

		if (pid == 0 || (pid < 0 && errno == ECHILD))
			return gone;
		if (pid < 0)
			die("waitpid", "-", errno);
		for (i = 0; i < s->pl->napps && s->pids[i] != pid; i++)
			;
		if (i == s->pl->napps)
			continue; /* an orphan that was re-parented to us */
		s->pids[i] = 0;
		/* what the app wrote before it exited is in the pipes: log it before its status */
		applog_flush(&s->logs[i]);
		gone += (size_t)app_exited(s, i, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
	}
}

int supervise(const struct plan *pl, int status_fd, int pids_fd, mode_t app_umask,
	      struct applog *logs)
{
	struct supervisor sv = {
		.pl = pl,
		.pids = calloc(pl->napps, sizeof *sv.pids),
		.post_stopping = calloc(pl->napps, sizeof *sv.post_stopping),
		.status_fd = status_fd,
		.app_umask = app_umask,
		.logs = logs,
	};
	pid_t *pids = sv.pids;
	struct pollfd *fds = calloc(1 + 2 * pl->napps, sizeof *fds);
	size_t live = 0;
	int sfd;
	sigset_t set;

	if (!pids || !sv.post_stopping || !fds)
		die("calloc", "-", ENOMEM);
	for (size_t i = 0; i < pl->napps; i++, live++) {
		pids[i] = start_app(pl, &pl->apps[i], i == 0 && pl->pause_fifo, app_umask, pids, i,
				    &logs[i], status_fd);
		/* the app has exec'd: its PID (as the pod sees it) is where rkt enter finds it */
		if (pids_fd >= 0)
			write_status(pids_fd, pl->apps[i].name, (int)pids[i]);
	}

	/* the signals are blocked since before our fork; the signalfd queues them */
	signals_forwarded(&set);
	sigaddset(&set, SIGCHLD);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd", "-", errno);
	while (live > 0) {
		struct signalfd_siginfo si;
		nfds_t n = 1;
		int rc;

		fds[0].fd = sfd;
		fds[0].events = POLLIN;
		for (size_t i = 0; i < pl->napps; i++)
			for (int s = 0; s < 2; s++)
				if (logs[i].rd[s] >= 0) {
					fds[n].fd = logs[i].rd[s];
					fds[n++].events = POLLIN;
				}
		/* checked before polling: a steady flow of output must not postpone it */
		if (sv.killing && ms_left(&sv.deadline) == 0) { /* the grace period is over */
			signal_apps(pids, pl->napps, SIGKILL);
			sv.killing = 0;
		}
		rc = poll(fds, n, sv.killing ? ms_left(&sv.deadline) : -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			die("poll", "-", errno);
		for (nfds_t k = 1; k < n; k++) {
			if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			for (size_t i = 0; i < pl->napps; i++)
				for (int s = 0; s < 2; s++)
					if (logs[i].rd[s] == fds[k].fd)
						applog_read(&logs[i], s);
		}
		if (!(fds[0].revents & POLLIN))
			continue;
		for (;;) {
			ssize_t got = RETRY_EINTR(read(sfd, &si, sizeof si));

			if (got < 0 && errno == EAGAIN)
				break;
			if (got != (ssize_t)sizeof si)
				die("read", "signalfd", got < 0 ? errno : EIO);
			if (si.ssi_signo == SIGCHLD)
				live -= reap(&sv);
			else
				signal_apps(pids, pl->napps, (int)si.ssi_signo);
		}
	}
	return sv.pod_status;
}
