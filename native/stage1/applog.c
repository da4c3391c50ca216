/* applog.c: an app's stdout and stderr, teed by PID 1 to the console and to log files.
 *
 * For an app with a `log DIR MAX` directive, PID 1 opens DIR/stdout and DIR/stderr (append)
 * before pivot_root, while DIR is still reachable, and keeps DIR open (O_PATH) to rotate them.
 * Before forking the app it makes two pipes; the app's fds 1 and 2 are their write ends. PID 1
 * reads the other ends and writes each chunk twice: to its own fd 1 or 2 (the console rkt was
 * started with; errors there are ignored, so a closed console never stops the pod) and to the
 * file. A file never grows past MAX bytes: when it is full it is renamed to `.1` (replacing
 * the previous `.1`) and a new one is started, so each stream keeps at most 2*MAX bytes. A write
 * error on a log file (a full disk) drops that chunk from the file, never from the console. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const stream_name[2] = {"stdout", "stderr"};
static const char *const rotated_name[2] = {"stdout.1", "stderr.1"};

static int open_log(int dirfd, int stream, int trunc)
{
	return openat(dirfd, stream_name[stream],
		      O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (trunc ? O_TRUNC : O_APPEND),
		      0640);
}

void applog_open(const struct app *a, struct applog *l)
{
	struct stat st;

	l->dirfd = -1;
	for (int s = 0; s < 2; s++)
		l->file[s] = l->rd[s] = l->wr[s] = -1;
	if (!a->log_dir)
		return;
	l->max = a->log_max;
	l->dirfd = open(a->log_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->dirfd < 0)
		die("open", a->log_dir, errno);
	for (int s = 0; s < 2; s++) {
		l->file[s] = open_log(l->dirfd, s, 0);
		if (l->file[s] < 0 || fstat(l->file[s], &st) < 0)
			die("open", a->log_dir, errno);
		l->written[s] = (unsigned long)st.st_size;
	}
}

void applog_pipes(struct applog *l, const char *name)
{
	if (l->dirfd < 0)
		return;
	for (int s = 0; s < 2; s++) {
		int p[2];

		/* a post-stop hook's new pipes replace the app's, which a process it left may hold */
		close_fd(&l->rd[s]);
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe", name, errno);
		l->rd[s] = p[0];
		l->wr[s] = p[1];
	}
}

void applog_parent(struct applog *l)
{
	for (int s = 0; s < 2; s++)
		close_fd(&l->wr[s]);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = RETRY_EINTR(write(fd, p, n));

		if (w <= 0)
			return; /* console gone or disk full: deliberately dropped, see above */
		p += w;
		n -= (size_t)w;
	}
}

static void to_file(struct applog *l, int s, const char *p, size_t n)
{
	while (n > 0) {
		size_t room, k;

		if (l->written[s] >= l->max) {
			/* rotate; if it fails, keep writing to the current file rather than lose
			 * output, but never past the bound: the chunk is dropped instead */
			int fd;

			if (renameat(l->dirfd, stream_name[s], l->dirfd, rotated_name[s]) < 0 ||
			    (fd = open_log(l->dirfd, s, 1)) < 0)
				return;
			close(l->file[s]);
			l->file[s] = fd;
			l->written[s] = 0;
		}
		room = l->max - l->written[s];
		k = n < room ? n : room;
		write_all(l->file[s], p, k);
		l->written[s] += k;
		p += k;
		n -= k;
	}
}

/* 1: a chunk was passed on; 0: end of file (the read end is closed); -1: nothing to read now */
int applog_read(struct applog *l, int s)
{
	char buf[65536];
	ssize_t n;

	if (l->rd[s] < 0)
		return 0;
	n = RETRY_EINTR(read(l->rd[s], buf, sizeof buf));
	if (n < 0 && errno == EAGAIN)
		return -1;
	if (n <= 0) { /* EOF: every writer is gone (or a read error: treated the same) */
		close_fd(&l->rd[s]);
		return 0;
	}
	write_all(s == 0 ? 1 : 2, buf, (size_t)n);
	to_file(l, s, buf, (size_t)n);
	return 1;
}

void applog_flush(struct applog *l)
{
	for (int s = 0; s < 2; s++) {
		if (l->rd[s] < 0)
			continue;
		/* the app is gone, but a process it left may hold the pipe: take what is there */
		if (fcntl(l->rd[s], F_SETFL, O_NONBLOCK) < 0)
			die("fcntl", "-", errno);
		while (applog_read(l, s) > 0)
			;
	}
}
