/* probe: runs inside a pod and reports what it sees, for rkt's end-to-end tests.
 *
 *   probe [--stat PATH]... [--try-write PATH]...   print one JSON object on stdout, exit 0
 *   probe exit N                 exit with status N
 *   probe signal N               kill itself with signal N
 *   probe sleep SECONDS          sleep (stop tests)
 *   probe ignore-term sleep SECONDS
 *   probe cat PATH               print a file
 *   probe hog MIB                allocate and touch MIB MiB, 1 MiB at a time (OOM tests)
 *   probe forkbomb               fork children that wait until fork fails; report how many
 *                                as {"forked":N,"error":"EAGAIN"}, kill them, exit 0
 *
 * --try ACTION attempts something a pod must not be able to do and reports "ok" or the errno
 * name under "tries": mount, umount-kcore, unshare (a user namespace), clone-newuser,
 * mknod-block (then open-block: opening it), sysrq (open /proc/sysrq-trigger for writing),
 * kcore (read /proc/kcore: "empty" when masked), proc1-exe (open /proc/1/exe for writing),
 * ptrace1 (attach to PID 1), proc1-fd (open PID 1's fds through /proc/1/fd), socket-vsock, socket-alg, mkdir (a new directory in /tmp),
 * chroot (into /).
 *
 * "tty" says whether stdin is a terminal, its name, whether it is the probe's controlling terminal
 * (its session's, and /dev/tty opens) and its size. --read-line first reads one line from stdin
 * and reports it as "line" (null at end of file).
 *
 * In the first form other arguments (not starting with "--") are only reported in "argv".
 * The sleeping modes print "probe: ready" on stderr once they are set up. --try-write opens
 * PATH for writing (creating it if missing) and writes nothing: "ok" or the errno name. */
#include "../common/errno-name.h"
#include "../common/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void key(const char *k, int first)
{
	if (!first)
		fputc(',', stdout);
	json_cstring(stdout, k);
	fputc(':', stdout);
}

/* Reads up to cap bytes of a file; returns the length or -1 with errno set. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -1;
	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	close(fd);
	return n < 0 ? -1 : (ssize_t)len;
}

static void print_file_string(const char *path)
{
	static char buf[65536];
	ssize_t n = slurp(path, buf, sizeof buf);

	if (n < 0)
		fputs("null", stdout);
	else
		json_string(stdout, buf, (size_t)n);
}

static void print_ns(void)
{
	static const char *const names[] = {"cgroup", "ipc", "mnt", "net", "pid", "uts", "user"};

	fputc('{', stdout);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[64], target[256];
		ssize_t n;

		snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
		key(names[i], i == 0);
		n = readlink(path, target, sizeof target - 1);
		if (n < 0) {
			fputs("null", stdout);
			continue;
		}
		json_string(stdout, target, (size_t)n);
	}
	fputc('}', stdout);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static char *unescape(char *s)
{
	char *o = s, *r = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return r;
}

static void print_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int first = 1;

	if (!f) {
		fputs("null", stdout);
		return;
	}
	fputc('[', stdout);
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root target options [optional...] - fstype source super */
		char *field[32], *save = NULL;
		int n = 0, dash = -1;

		for (char *t = strtok_r(line, " \n", &save); t && n < 32;
		     t = strtok_r(NULL, " \n", &save)) {
			if (dash < 0 && n >= 6 && strcmp(t, "-") == 0)
				dash = n;
			field[n++] = t;
		}
		if (dash < 0 || n < dash + 4)
			continue;
		fputs(first ? "{" : ",{", stdout);
		first = 0;
		key("target", 1);
		json_cstring(stdout, unescape(field[4]));
		key("root", 0);
		json_cstring(stdout, unescape(field[3]));
		key("fstype", 0);
		json_cstring(stdout, field[dash + 1]);
		key("source", 0);
		json_cstring(stdout, unescape(field[dash + 2]));
		key("options", 0);
		json_cstring(stdout, field[5]);
		key("superOptions", 0);
		json_cstring(stdout, field[dash + 3]);
		fputc('}', stdout);
	}
	fputc(']', stdout);
	free(line);
	fclose(f);
}

/* caps, NoNewPrivs, Seccomp and Umask from /proc/self/status */
static void print_status_fields(void)
{
	static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
	char value[8][64] = {{0}};
	FILE *f = fopen("/proc/self/status", "re");
	char *line = NULL;
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		char name[32], v[64];

		if (sscanf(line, "%31[^:]:%63s", name, v) != 2)
			continue;
		for (int i = 0; i < 5; i++)
			if (strcmp(name, caps[i]) == 0)
				snprintf(value[i], sizeof value[i], "%s", v);
		if (strcmp(name, "NoNewPrivs") == 0)
			snprintf(value[5], sizeof value[5], "%s", v);
		if (strcmp(name, "Seccomp") == 0)
			snprintf(value[6], sizeof value[6], "%s", v);
		if (strcmp(name, "Umask") == 0)
			snprintf(value[7], sizeof value[7], "%s", v);
	}
	free(line);
	if (f)
		fclose(f);
	key("caps", 0);
	fputc('{', stdout);
	for (int i = 0; i < 5; i++) {
		key(caps[i], i == 0);
		json_cstring(stdout, value[i][0] ? value[i] : NULL);
	}
	fputc('}', stdout);
	key("noNewPrivs", 0);
	fputs(value[5][0] ? value[5] : "null", stdout);
	key("seccomp", 0);
	fputs(value[6][0] ? value[6] : "null", stdout);
	key("umask", 0);
	json_cstring(stdout, value[7][0] ? value[7] : NULL);
}

/* "Max open files" of /proc/self/limits as [soft, hard] (what `ulimit -n` and -Hn say) */
static void print_nofile(void)
{
	char line[256], soft[32], hard[32];
	FILE *f = fopen("/proc/self/limits", "re");

	key("nofile", 0);
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Max open files %31s %31s", soft, hard) == 2) {
			printf("[\"%s\",\"%s\"]", soft, hard);
			fclose(f);
			return;
		}
	fputs("null", stdout);
	if (f)
		fclose(f);
}

static void print_tty(void)
{
	struct winsize ws;
	int fd;

	key("tty", 0);
	printf("{\"stdin\":%s", isatty(0) ? "true" : "false");
	key("name", 0);
	json_cstring(stdout, ttyname(0));
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0)
		close(fd);
	key("controlling", 0);
	fputs(fd >= 0 && isatty(0) && tcgetsid(0) == getsid(0) ? "true" : "false", stdout);
	key("foreground", 0);
	fputs(isatty(0) && tcgetpgrp(0) == getpgrp() ? "true" : "false", stdout);
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		printf(",\"rows\":%u,\"cols\":%u", ws.ws_row, ws.ws_col);
	fputc('}', stdout);
}

static void print_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int first = 1;

	if (!d) {
		fputs("null", stdout);
		return;
	}
	fputc('[', stdout);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		printf(first ? "%s" : ",%s", e->d_name);
		first = 0;
	}
	fputc(']', stdout);
	closedir(d);
}

static const char *type_name(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" :
	       S_ISCHR(m) ? "char" : S_ISBLK(m) ? "block" : S_ISFIFO(m) ? "fifo" : "socket";
}

static void print_file(const char *path)
{
	static char buf[4096];
	struct stat st;
	char mode[8];

	if (lstat(path, &st) < 0) {
		printf("{\"exists\":false,\"error\":\"%s\"}", errno_name(errno));
		return;
	}
	snprintf(mode, sizeof mode, "%04o", (unsigned)(st.st_mode & 07777));
	printf("{\"exists\":true,\"type\":\"%s\",\"mode\":\"%s\",\"uid\":%u,\"gid\":%u",
	       type_name(st.st_mode), mode, (unsigned)st.st_uid, (unsigned)st.st_gid);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		printf(",\"major\":%u,\"minor\":%u", major(st.st_rdev), minor(st.st_rdev));
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, buf, sizeof buf);
		fputs(",\"target\":", stdout);
		if (n < 0)
			fputs("null", stdout);
		else
			json_string(stdout, buf, (size_t)n);
	}
	if (S_ISREG(st.st_mode)) {
		ssize_t n = slurp(path, buf, sizeof buf);
		fputs(",\"content\":", stdout);
		if (n < 0)
			fputs("null", stdout);
		else
			json_string(stdout, buf, (size_t)n);
	}
	fputc('}', stdout);
}

static void print_list(const char *name, char **paths, int n, int writes)
{
	key(name, 0);
	fputc('{', stdout);
	for (int i = 0; i < n; i++) {
		key(paths[i], i == 0);
		if (!writes) {
			print_file(paths[i]);
			continue;
		}
		int fd = open(paths[i], O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
		printf("\"%s\"", fd < 0 ? errno_name(errno) : "ok");
		if (fd >= 0)
			close(fd);
	}
	fputc('}', stdout);
}

static const char *result(int rc)
{
	return rc < 0 ? errno_name(errno) : "ok";
}

/* proc1-fd: open each of PID 1's fds through /proc/1/fd/N (a way to its host directories):
 * "ok" if one opened, else the first errno; "empty" if none is listed */
static const char *proc1_fds(void)
{
	DIR *d = opendir("/proc/1/fd");
	struct dirent *e;
	const char *r = "empty";
	char path[300];
	int fd;

	if (!d)
		return errno_name(errno);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/1/fd/%s", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd >= 0) {
			close(fd);
			r = "ok";
			break;
		}
		if (strcmp(r, "empty") == 0)
			r = errno_name(errno);
	}
	closedir(d);
	return r;
}

/* one --try action: "ok" or the errno name, printed as a JSON string */
static void try_action(const char *action)
{
	const char *r = "unknown-action";
	int fd;

	if (strcmp(action, "mount") == 0) {
		r = result(mount("tmpfs", "/tmp", "tmpfs", 0, NULL));
	} else if (strcmp(action, "umount-kcore") == 0) {
		r = result(umount2("/proc/kcore", MNT_DETACH));
	} else if (strcmp(action, "unshare") == 0) {
		r = result(unshare(CLONE_NEWUSER));
	} else if (strcmp(action, "clone-newuser") == 0) {
		long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		r = pid < 0 ? errno_name(errno) : "ok";
	} else if (strcmp(action, "mknod-block") == 0) {
		unlink("/tmp/probe-block");
		r = result(mknod("/tmp/probe-block", S_IFBLK | 0600, makedev(8, 0)));
	} else if (strcmp(action, "open-block") == 0) {
		fd = open("/tmp/probe-block", O_RDONLY | O_CLOEXEC);
		r = result(fd);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(action, "sysrq") == 0) {
		fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
		r = result(fd);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(action, "kcore") == 0) {
		char c;
		fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = errno_name(errno);
		} else {
			ssize_t n = read(fd, &c, 1);
			r = n < 0 ? errno_name(errno) : n == 0 ? "empty" : "ok";
			close(fd);
		}
	} else if (strcmp(action, "proc1-exe") == 0) {
		fd = open("/proc/1/exe", O_WRONLY | O_CLOEXEC);
		r = result(fd);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(action, "proc1-fd") == 0) {
		r = proc1_fds();
	} else if (strcmp(action, "ptrace1") == 0) {
		r = result((int)ptrace(PTRACE_ATTACH, 1, 0, 0));
	} else if (strcmp(action, "socket-vsock") == 0 || strcmp(action, "socket-alg") == 0) {
		fd = socket(strcmp(action, "socket-alg") == 0 ? 38 : 40, SOCK_STREAM | SOCK_CLOEXEC, 0);
		r = result(fd);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(action, "mkdir") == 0) {
		rmdir("/tmp/probe-dir");
		r = result(mkdir("/tmp/probe-dir", 0755));
	} else if (strcmp(action, "chroot") == 0) {
		r = result(chroot("/"));
	}
	json_cstring(stdout, r);
}

static int hog(const char *mib)
{
	long n = atol(mib);

	for (long i = 0; i < n; i++) {
		char *p = malloc(1 << 20);
		if (!p)
			return 1;
		memset(p, 1, 1 << 20);
	}
	printf("{\"allocated\":%ld}\n", n);
	return 0;
}

static int forkbomb(void)
{
	static pid_t pids[100000];
	int n = 0, err = 0;

	while (n < 100000) {
		pid_t pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		pids[n++] = pid;
	}
	printf("{\"forked\":%d,\"error\":\"%s\"}\n", n, err ? errno_name(err) : "none");
	fflush(stdout);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return 0;
}

static int report(int argc, char **argv)
{
	char **stats = calloc((size_t)argc, sizeof *stats);
	char **tries = calloc((size_t)argc, sizeof *tries);
	char **actions = calloc((size_t)argc, sizeof *actions);
	char host[256], cwd[PATH_MAX];
	gid_t groups[NGROUPS_MAX];
	int nstats = 0, ntries = 0, nactions = 0, ngroups, read_line = 0;
	char *line = NULL;
	size_t cap = 0;

	if (!stats || !tries || !actions)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--stat") == 0)
			stats[nstats++] = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--try-write") == 0)
			tries[ntries++] = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--try") == 0)
			actions[nactions++] = argv[++i];
		else if (strcmp(argv[i], "--read-line") == 0)
			read_line = 1;
		else if (strncmp(argv[i], "--", 2) == 0) {
			fprintf(stderr, "probe: bad arguments (see the top of probe.c)\n");
			return 2;
		}
	}
	if (read_line && getline(&line, &cap, stdin) < 0) {
		free(line);
		line = NULL;
	}
	printf("{\"pid\":%d,\"ppid\":%d,\"uid\":%u,\"gid\":%u,\"euid\":%u,\"egid\":%u",
	       (int)getpid(), (int)getppid(), (unsigned)getuid(), (unsigned)getgid(),
	       (unsigned)geteuid(), (unsigned)getegid());
	key("groups", 0);
	ngroups = getgroups(NGROUPS_MAX, groups);
	fputc('[', stdout);
	for (int i = 0; i < ngroups; i++)
		printf(i ? ",%u" : "%u", (unsigned)groups[i]);
	fputc(']', stdout);
	key("hostname", 0);
	json_cstring(stdout, gethostname(host, sizeof host) == 0 ? host : NULL);
	key("domainname", 0);
	json_cstring(stdout, getdomainname(host, sizeof host) == 0 ? host : NULL);
	key("cwd", 0);
	json_cstring(stdout, getcwd(cwd, sizeof cwd));
	key("argv", 0);
	fputc('[', stdout);
	for (int i = 0; i < argc; i++) {
		if (i)
			fputc(',', stdout);
		json_cstring(stdout, argv[i]);
	}
	fputc(']', stdout);
	key("env", 0);
	fputc('{', stdout);
	for (char **e = environ; *e; e++) {
		char *eq = strchr(*e, '=');
		size_t n = eq ? (size_t)(eq - *e) : strlen(*e);

		if (e != environ)
			fputc(',', stdout);
		json_string(stdout, *e, n);
		fputc(':', stdout);
		json_cstring(stdout, eq ? eq + 1 : "");
	}
	fputc('}', stdout);
	key("ns", 0);
	print_ns();
	key("mounts", 0);
	print_mounts();
	print_status_fields();
	key("fds", 0);
	print_fds();
	print_tty();
	if (read_line) {
		key("line", 0);
		if (line)
			line[strcspn(line, "\n")] = 0;
		json_cstring(stdout, line);
	}
	print_nofile();
	key("cgroup", 0);
	print_file_string("/proc/self/cgroup");
	key("uidMap", 0);
	print_file_string("/proc/self/uid_map");
	key("gidMap", 0);
	print_file_string("/proc/self/gid_map");
	print_list("files", stats, nstats, 0);
	print_list("tries", tries, ntries, 1);
	/* the actions last: they may change the probe's own state (a mount, a namespace) */
	key("actions", 0);
	fputc('{', stdout);
	for (int i = 0; i < nactions; i++) {
		key(actions[i], i == 0);
		try_action(actions[i]);
	}
	fputc('}', stdout);
	fputs("}\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int nap(const char *seconds)
{
	double s = strtod(seconds, NULL);
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	fprintf(stderr, "probe: ready\n");
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);
	if (argc == 3 && strcmp(argv[1], "signal") == 0) {
		int sig = atoi(argv[2]);
		sigset_t set;

		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "hog") == 0)
		return hog(argv[2]);
	if (argc == 2 && strcmp(argv[1], "forkbomb") == 0)
		return forkbomb();
	if (argc == 3 && strcmp(argv[1], "sleep") == 0)
		return nap(argv[2]);
	if (argc == 4 && strcmp(argv[1], "ignore-term") == 0 && strcmp(argv[2], "sleep") == 0) {
		signal(SIGTERM, SIG_IGN);
		return nap(argv[3]);
	}
	if (argc == 3 && strcmp(argv[1], "cat") == 0) {
		char buf[65536];
		ssize_t n;
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "probe: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		while ((n = read(fd, buf, sizeof buf)) > 0)
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return 1;
		return n < 0 || fflush(stdout) != 0;
	}
	return report(argc, argv);
}
