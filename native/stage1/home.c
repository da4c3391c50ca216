/* home.c: `home-from-passwd`: an app whose environment has no HOME gets the home directory its
 * uid has in the app's own /etc/passwd, or "/" (runc's rule, which programs run by an OCI runtime
 * expect). Read after chroot, so the file is the image's and no path in it leads out; a symlink,
 * a FIFO or a file above 1 MiB counts as no entry. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PASSWD_BYTES (1 << 20)

/* The 6th field of the line whose 3rd is uid (buf is cut up in place); NULL if none. */
static char *home_in(char *buf, uid_t uid)
{
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *f[7] = {0};
		int n = 0;

		for (char *p = line; n < 7; p++) {
			f[n++] = p;
			p = strchr(p, ':');
			if (!p)
				break;
			*p = '\0';
		}
		if (n >= 6 && *f[2] && strspn(f[2], "0123456789") == strlen(f[2]) &&
		    strtoul(f[2], NULL, 10) == uid && f[5][0] == '/')
			return f[5];
	}
	return NULL;
}

static const char *passwd_home(uid_t uid)
{
	static char buf[MAX_PASSWD_BYTES + 1];
	struct stat st;
	ssize_t n;
	int fd = open("/etc/passwd", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_PASSWD_BYTES) {
		close(fd);
		return NULL;
	}
	n = RETRY_EINTR(read(fd, buf, MAX_PASSWD_BYTES));
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return home_in(buf, uid);
}

char **env_with_home(const struct app *a)
{
	char **envp;
	const char *home;
	char *entry;

	for (size_t i = 0; i < a->envc; i++)
		if (strncmp(a->envp[i], "HOME=", 5) == 0)
			return a->envp;
	home = passwd_home(a->uid);
	if (asprintf(&entry, "HOME=%s", home ? home : "/") < 0)
		die("asprintf", a->name, ENOMEM);
	envp = calloc(a->envc + 2, sizeof *envp);
	if (!envp)
		die("calloc", a->name, ENOMEM);
	memcpy(envp, a->envp, a->envc * sizeof *envp);
	envp[a->envc] = entry;
	return envp;
}
