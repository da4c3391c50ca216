/* app.c: an app's child, between PID 1's fork and the app's execve (its pre-start hook runs
 * from here); plus the fd and signal hygiene the other processes share.
 *
 * Order matters: fds are closed first, so nothing can chdir through a leaked directory fd
 * (/proc/self/fd/N as cwd, CVE-2024-21626); then chroot and cwd (verified to be inside the
 * root); ids, capabilities and seccomp last (isolate.c), so the earlier steps still run with
 * PID 1's privileges (a `before-ids` filter comes before the ids, while CAP_SYS_ADMIN is
 * still there to load it without no_new_privs). Any failure goes
 * to PID 1 as a record on report_fd, which is close-on-exec: EOF there means execve worked. */
#include "stage1.h"
#include "kernel.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void close_between(unsigned lo, unsigned hi)
{
	struct rlimit rl;

	if (lo > hi)
		return;
	if (sys_close_range(lo, hi, 0) == 0)
		return;
	if (errno != ENOSYS)
		die("close_range", "-", errno);
	/* kernels before 5.9: close one by one up to the fd limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit", "RLIMIT_NOFILE", errno);
	for (rlim_t fd = lo; fd < rl.rlim_cur && fd <= hi; fd++)
		if (close((int)fd) < 0 && errno != EBADF)
			die("close", "-", errno);
}

void close_fds_keeping(int *keep, size_t n)
{
	unsigned next = 3;

	for (size_t i = 1; i < n; i++) /* insertion sort: a handful of fds */
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)next)
			continue;
		close_between(next, (unsigned)keep[i] - 1);
		next = (unsigned)keep[i] + 1;
	}
	close_between(next, ~0U);
}

void close_fds_except(int keep)
{
	close_fds_keeping(&keep, 1);
}

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void signals_reset(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < _NSIG; sig++)
		/* EINVAL: SIGKILL, SIGSTOP and the signals libc keeps for itself */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			die("sigaction", "-", errno);
}

void signals_forwarded(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

/* The working directory must be a directory inside the (new) root. The kernel's getcwd
 * reports a directory outside the root as "(unreachable)/...", so that is refused. */
static void enter_cwd(const struct app *a)
{
	char buf[PATH_MAX];

	if (chdir("/") < 0)
		die("chdir", "/", errno);
	if (chdir(a->cwd) < 0)
		die("chdir", a->cwd, errno);
	if (sys_getcwd(buf, sizeof buf) < 0)
		die("chdir", a->cwd, errno);
	if (buf[0] != '/')
		die_reason("chdir", a->cwd, ENOENT, "working directory is outside the app's root");
}

static const char *env_value(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* execve, or for a name without '/' a search of the app's own PATH (libc's execvpe would use
 * the helper's environment, not the app's): EACCES is remembered, ENOENT and ENOTDIR move on
 * to the next directory, anything else stops the search (as execvp does). */
static _Noreturn void exec_program(const struct app *a)
{
	char buf[PATH_MAX];
	const char *path, *p;
	int err = ENOENT;

	if (strchr(a->exec, '/')) {
		execve(a->exec, a->argv, a->envp);
		die("exec", a->exec, errno);
	}
	path = env_value(a->envp, "PATH");
	if (!path)
		die_reason("exec", a->exec, ENOENT, "no PATH in the app's environment");
	for (p = path;; p += strcspn(p, ":") + 1) {
		int len = (int)strcspn(p, ":");

		if (snprintf(buf, sizeof buf, "%.*s/%s", len ? len : 1, len ? p : ".", a->exec) >=
		    (int)sizeof buf) {
			err = ENAMETOOLONG;
		} else {
			execve(buf, a->argv, a->envp);
			if (errno == EACCES)
				err = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR)
				die("exec", buf, errno);
		}
		if (!p[len])
			break;
	}
	die("exec", a->exec, err);
}

struct app hook_process(const struct app *owner, int hook)
{
	const struct app *h = owner->hooks[hook];
	struct app p = *owner;

	p.exec = h->exec;
	p.argv = h->argv;
	p.argc = h->argc;
	p.uid = h->uid;
	p.gid = h->gid;
	p.groups = h->groups;
	p.ngroups = h->ngroups;
	for (int k = CAPS_EFFECTIVE; k < NCAPS; k++) { /* the bounding set stays the app's */
		p.caps[k] = h->caps[k];
		p.have_caps[k] = h->have_caps[k];
	}
	p.wait_fifo = NULL; /* a hook never waits for an OCI start, holds no console, is never paused */
	p.wait_fd = -1;
	p.console_fd = -1;
	p.hold_fd = p.root_fd = -1;
	p.hooks[HOOK_PRE_START] = p.hooks[HOOK_POST_STOP] = NULL;
	p.role = hook_names[hook];
	return p;
}

/* the app's (or hook's) own ids and capability sets */
static void become(const struct app *a)
{
	if (setgroups(a->ngroups, a->groups) < 0)
		die("setgroups", a->name, errno);
	if (setgid(a->gid) < 0)
		die("setgid", a->name, errno);
	if (setuid(a->uid) < 0)
		die("setuid", a->name, errno);
	isolate_capabilities(a);
}

/* The pre-start hook runs to its end in the app's root, namespaces, cgroups and limits, under
 * the app's bounding set, before the app's own ids are taken; the app starts only if it exits 0.
 * Its failures before execve reach PID 1 first, on the report pipe it shares with us. */
static void run_pre_start(const struct app *a)
{
	struct app h = hook_process(a, HOOK_PRE_START);
	int ws;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", a->name, errno);
	if (pid == 0) {
		fail_set_context(h.role);
		become(&h);
		isolate_seal(&h);
		exec_program(&h);
	}
	if (RETRY_EINTR(waitpid(pid, &ws, 0)) < 0)
		die("waitpid", a->name, errno);
	require_clean_exit(ws, "pre-start", a->name, "exited with status %d; the app was not started",
			   "killed by signal %d; the app was not started");
}

_Noreturn void app_exec(const struct app *a, int report_fd, mode_t app_umask,
			const struct applog *log)
{
	sigset_t none;

	fail_set_pipe(report_fd);
	fail_set_context(a->role); /* a post-stop hook's failures say so */
	/* logged: fds 1 and 2 become the pipes to PID 1 (dup2 leaves them open across exec) */
	if (log->wr[0] >= 0 && (dup2(log->wr[0], 1) < 0 || dup2(log->wr[1], 2) < 0))
		die("dup2", a->name, errno);
	isolate_join_cgroups(a);
	/* before the user namespace: raising a hard limit needs CAP_SYS_RESOURCE in the host's */
	isolate_rlimits(a);
	userns_join(a->userns_fd);
	isolate_hold(a, report_fd);
	{
		/* the report pipe, the wait FIFO of an OCI create, the console socket (-1: none) */
		int keep[3] = {report_fd, a->wait_fd, a->console_fd};

		close_fds_keeping(keep, 3);
	}
	signals_reset();
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		die("sigprocmask", a->name, errno);
	umask(a->have_umask ? a->umask : app_umask);
	/* Its own session, so a signal to the pod's process group is not doubled. But a tty on
	 * stdin stays usable only inside the caller's session, so then the app stays there. With
	 * a console of its own, console_attach makes the session. */
	if (a->console_fd < 0 && !isatty(0) && setsid() < 0)
		die("setsid", a->name, errno);
	/* a mount namespace of its own: mounts the app makes (or that are made in it later)
	 * stay with it; the copy shares nothing back, as the pod's mounts are all private. A
	 * cgroup namespace rooted at the cgroups just joined: /proc/self/cgroup shows "/". */
	if (a->unshare_flags && unshare(a->unshare_flags) < 0)
		die("unshare", a->name, errno);
	if (chroot(a->root) < 0)
		die("chroot", a->root, errno);
	enter_cwd(a);
	/* read as root, inside the root, before any filter: the image's passwd, nothing else */
	struct app self = *a;
	if (a->home_from_passwd)
		self.envp = env_with_home(a);
	console_attach(a);
	isolate_oom_score_adj(a);
	/* from here on the helper's own calls (prctl, setgroups, setgid, setuid, capset, the
	 * wait-fifo read, execve) pass through the app's filter, as in runc */
	if (a->seccomp_before_ids)
		isolate_seccomp(a);
	isolate_bounding_set(a);
	if (a->hooks[HOOK_PRE_START])
		run_pre_start(a);
	become(a);
	isolate_wait(a, report_fd);
	isolate_seal(a);
	exec_program(&self);
}
