/* fail.c: how the helper reports a failure.
 *
 * Only the outer process (the PID stage0 exec'd into) prints the error line and writes the
 * error file, because only it still sees the host paths. The pod's PID 1 and an app's child
 * (after fork, before execve) instead send a fixed-size record over a close-on-exec pipe to
 * their parent, which passes it on; see fail_set_pipe(). */
#include "stage1.h"
#include "../common/errno-name.h"
#include "../common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *error_file;
static int error_fd = -1;
static int report_pipe = -1;
static const char *context;

void fail_set_error_file(const char *path) { error_file = path; }
void fail_set_error_fd(int fd) { error_fd = fd; }
void fail_set_pipe(int fd) { report_pipe = fd; }
void fail_set_context(const char *c) { context = c; }

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "-");
}

static const char *reason_of(const struct failure *f)
{
	return f->reason[0] ? f->reason : strerror(f->err);
}

static int write_json(FILE *out, const struct failure *f)
{
	char msg[sizeof f->what + sizeof f->path + sizeof f->reason + 8];

	fputs("{\"what\":", out);
	json_cstring(out, f->what);
	fputs(",\"path\":", out);
	json_cstring(out, f->path);
	fprintf(out, ",\"errno\":%d,\"errnoName\":", f->err);
	json_cstring(out, errno_name(f->err));
	fputs(",\"message\":", out);
	snprintf(msg, sizeof msg, "%s %s: %s", f->what, f->path, reason_of(f));
	json_cstring(out, msg);
	fputs("}\n", out);
	return fclose(out);
}

static void write_error_file(const struct failure *f)
{
	char tmp[4200];
	FILE *out;
	int fd;

	if (error_fd >= 0) {
		/* enter: an empty file the caller opened for us; it reads it once we have exited */
		fd = dup(error_fd);
		out = fd < 0 ? NULL : fdopen(fd, "w");
		if (!out || write_json(out, f) != 0)
			dprintf(2, "rkt: stage1: cannot write the error file: %s\n", strerror(errno));
		return;
	}
	if (!error_file)
		return;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", error_file) >= (int)sizeof tmp)
		goto bad;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		goto bad;
	out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		goto bad;
	}
	if (write_json(out, f) != 0 || rename(tmp, error_file) != 0)
		goto bad;
	return;
bad:
	dprintf(2, "rkt: stage1: cannot write error file %s: %s\n", error_file, strerror(errno));
}

/* the stderr line may reach a terminal: control characters in a path are shown as '?' */
static const char *printable(const char *s, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = 0;
	return buf;
}

void fail_report(const struct failure *f)
{
	char path[sizeof f->path];

	dprintf(2, "rkt: stage1: %s %s: %s (%s)\n", f->what,
		printable(f->path, path, sizeof path), reason_of(f), errno_name(f->err));
	write_error_file(f);
}

void fail_send(int fd, const struct failure *f)
{
	/* one write of less than PIPE_BUF bytes is atomic; if it fails there is nobody left to
	 * tell, and our exit status (254) still says that the helper failed */
	ssize_t n = write(fd, f, sizeof *f);
	(void)n;
}

int fail_receive(int fd, struct failure *f)
{
	ssize_t n;

	n = RETRY_EINTR(read(fd, f, sizeof *f));
	if (n != (ssize_t)sizeof *f)
		return 0;
	f->what[sizeof f->what - 1] = f->reason[sizeof f->reason - 1] = 0;
	f->path[sizeof f->path - 1] = 0;
	return 1;
}

_Noreturn void die_reason(const char *what, const char *path, int err, const char *reason)
{
	struct failure f;

	memset(&f, 0, sizeof f);
	f.err = err;
	if (context)
		snprintf(f.what, sizeof f.what, "%s %s", context, what);
	else
		copy(f.what, sizeof f.what, what);
	copy(f.path, sizeof f.path, path);
	if (reason)
		copy(f.reason, sizeof f.reason, reason);
	fail_exit(&f);
}

/* The end of a process the helper ran for the app (pre-start, a start hook): nothing if it exited
 * 0, else a failure saying how it ended; each format takes the status or signal number. */
void require_clean_exit(int ws, const char *what, const char *path, const char *exited_fmt,
			const char *killed_fmt)
{
	char reason[80];

	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return;
	if (WIFEXITED(ws))
		snprintf(reason, sizeof reason, exited_fmt, WEXITSTATUS(ws));
	else
		snprintf(reason, sizeof reason, killed_fmt, WTERMSIG(ws));
	die_reason(what, path, ECANCELED, reason);
}

_Noreturn void fail_exit(const struct failure *f)
{
	if (report_pipe >= 0) {
		fail_send(report_pipe, f);
		_exit(EXIT_HELPER);
	}
	fail_report(f);
	exit(EXIT_HELPER);
}

_Noreturn void die(const char *what, const char *path, int err)
{
	die_reason(what, path, err, NULL);
}
