/* hooks.c: an OCI container's startContainer hooks (docs/oci-runtime.md), run by the app's
 * child after `start` reached it and before the seal and execve: in the container's namespaces,
 * root and cgroups, as the container's user with its capabilities. Each hook is forked, gets
 * the state line on stdin (a memfd, so a hook that does not read it cannot block us), and is
 * sealed like the app itself (no_new_privs, seccomp) before it execs. A hook that fails, or
 * outlives its timeout (then it is killed), fails the app before its program runs. */
#include "stage1.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int state_memfd(const char *state, size_t len)
{
	int fd = memfd_create("state", MFD_CLOEXEC);

	if (fd < 0)
		die("memfd_create", "state", errno);
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, state + done, len - done);
		if (n < 0)
			die("write", "state", errno);
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		die("lseek", "state", errno);
	return fd;
}

static void run_hook(const struct app *a, const struct hook *h, const char *state, size_t len)
{
	char reason[120];
	char *only_path[] = {h->path, NULL};
	int in = state_memfd(state, len), pidfd, ws, ready;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", h->path, errno);
	if (pid == 0) {
		/* its failures before execve go to PID 1 like the app's (the report pipe) */
		if (dup2(in, 0) < 0)
			die("dup2", h->path, errno);
		isolate_seal(a);
		execve(h->path, h->argc ? h->argv : only_path, h->envp ? h->envp : only_path + 1);
		die("exec", h->path, errno);
	}
	close(in);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		die("pidfd_open", h->path, errno);
	struct pollfd p = {pidfd, POLLIN, 0};
	ready = (int)RETRY_EINTR(poll(&p, 1, h->timeout ? (int)h->timeout * 1000 : -1));
	if (ready < 0)
		die("poll", h->path, errno);
	if (ready == 0)
		kill(pid, SIGKILL);
	if (RETRY_EINTR(waitpid(pid, &ws, 0)) < 0)
		die("waitpid", h->path, errno);
	close(pidfd);
	if (ready == 0) {
		snprintf(reason, sizeof reason, "startContainer hook timed out after %lu s", h->timeout);
		die_reason("hook", h->path, ETIMEDOUT, reason);
	}
	require_clean_exit(ws, "hook", h->path, "startContainer hook exited with status %d",
			   "startContainer hook was killed by signal %d");
}

void hooks_run_start(const struct app *a, const char *state, size_t len)
{
	for (size_t i = 0; i < a->nstart_hooks; i++)
		run_hook(a, &a->start_hooks[i], state, len);
}
