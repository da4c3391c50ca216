/* rootfs.c: build the pod's root filesystem from the plan's mount, mkdir, mknod, symlink and
 * in-root directives, then pivot_root into it. Runs in the pod's PID 1, in its new mount
 * namespace.
 *
 * Every target is a path INSIDE a root: the pod's root, or the directory the last in-root
 * named (an app's root, so that the app image's symlinks resolve within the app). It is
 * resolved with openat2(RESOLVE_IN_ROOT), so a symlink or ".." in an image is resolved as if
 * that root were "/" and can never point a mount (or a mkdir, or a new file) outside it.
 * Mounts are then made onto the resolved file through its /proc/self/fd/N magic link, so
 * nothing is looked up by path a second time. */
#include "stage1.h"
#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROPAGATION (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE)
/* flags that a read-only bind needs to apply with a second, remounting call */
#define BIND_REMOUNT_FLAGS \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

/* --private-users: what is created in the root belongs to the pod's root, not the host's */
static long owner_uid = -1, owner_gid = -1;

void rootfs_set_owner(long uid, long gid)
{
	owner_uid = uid;
	owner_gid = gid;
}

static int chown_created(int dirfd, const char *name)
{
	if (owner_uid < 0)
		return 0;
	return fchownat(dirfd, name, (uid_t)owner_uid, (gid_t)owner_gid, AT_SYMLINK_NOFOLLOW);
}

int open_dir(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die("open", path, errno);
	return fd;
}

/* Resolves path inside rootfd to an O_PATH fd. Never follows magic links (a /proc/self/...
 * in the image); with OPT_NOFOLLOW refuses any symlink at all (ELOOP). */
static int resolve_flags(int rootfd, const char *path, unsigned opts, int oflags)
{
	struct rkt_open_how how = {
		.flags = O_PATH | O_CLOEXEC | (uint64_t)oflags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
			   ((opts & OPT_NOFOLLOW) ? RESOLVE_NO_SYMLINKS : 0),
	};
	int fd;

	/* EAGAIN: a concurrent rename somewhere in the fs made the kernel unsure; just retry */
	do
		fd = sys_openat2(rootfd, path, &how);
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

static int resolve(int rootfd, const char *path, unsigned opts)
{
	return resolve_flags(rootfd, path, opts, 0);
}

/* Like resolve(), but with OPT_MKDIR or OPT_MKFILE creates what is missing, one component at
 * a time, each relative to its parent as just resolved inside the root: directories (mode
 * 0755, the last one `mode`) and, for OPT_MKFILE, an empty last file (0644). Returns -1 with
 * errno set on failure. */
static int open_in_root(int rootfd, const char *path, unsigned opts, mode_t mode)
{
	char buf[PATH_MAX];
	int fd = resolve(rootfd, path, opts), dirfd;

	if (fd >= 0 || errno != ENOENT || !(opts & (OPT_MKDIR | OPT_MKFILE)))
		return fd;
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return errno = ENAMETOOLONG, -1;
	dirfd = resolve(rootfd, "/", 0);
	if (dirfd < 0)
		return -1;
	for (char *name = buf; *name;) {
		char *end = name + strcspn(name, "/"), saved = *end;
		int last = end[strspn(end, "/")] == 0, rc = 0;

		if (end == name) { /* skip the slashes between components */
			name++;
			continue;
		}
		*end = 0;
		fd = resolve(rootfd, buf, opts);
		if (fd < 0 && errno == ENOENT) {
			if (last && (opts & OPT_MKFILE)) {
				rc = openat(dirfd, name,
					    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
				if (rc >= 0)
					rc = close(rc);
			} else {
				rc = mkdirat(dirfd, name, last ? mode : 0755);
			}
			if (rc >= 0)
				rc = chown_created(dirfd, name);
			/* EEXIST: it appeared meanwhile, or is a dangling symlink that the next
			 * resolve() reports as ENOENT */
			if (rc < 0 && errno != EEXIST)
				fd = -1;
			else
				fd = resolve(rootfd, buf, opts);
		}
		int err = errno;
		close(dirfd);
		if (fd < 0)
			return errno = err, -1;
		dirfd = fd;
		*end = saved;
		name = end;
	}
	return dirfd;
}

static void mount_at(const char *src, int fd, const char *fstype, unsigned long flags,
		     const char *data, const char *where)
{
	char at[32];

	snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
	if (mount(src, at, fstype, flags, data) < 0)
		die("mount", where, errno);
}

/* A mount made onto /proc/self/fd/N sits on top of N's file; later calls on the new mount
 * (a read-only remount, a propagation change) need an fd that resolves to it. */
static int reopen(int rootfd, int fd, const struct op *op, const char *where)
{
	close(fd);
	fd = resolve(rootfd, op->target, op->opts);
	if (fd < 0)
		die("open", where, errno);
	return fd;
}

/* where: the target as seen from the pod root, for error messages */
static void do_mount(int rootfd, const struct op *op, const char *where)
{
	unsigned long prop = op->flags & PROPAGATION, rec = op->flags & MS_REC;
	unsigned long rest = op->flags & ~(PROPAGATION | MS_REC);
	int fd = open_in_root(rootfd, op->target, op->opts, 0755);
	char self[32];
	const char *source = op->source;
	int mounted = 1; /* a new mount sits over fd (the propagation call must reach it) */

	if (fd < 0 && errno == ENOENT && (op->opts & OPT_OPTIONAL))
		return;
	if (fd < 0)
		die("open", where, errno);
	if (op->opts & OPT_SELF) {
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		source = self;
	}
	if ((rest & MS_BIND) && !(rest & MS_REMOUNT)) {
		/* the kernel ignores ro, nosuid... on the bind call itself */
		mount_at(source, fd, NULL, MS_BIND | rec, NULL, where);
		if (rest & BIND_REMOUNT_FLAGS) {
			fd = reopen(rootfd, fd, op, where);
			mount_at(NULL, fd, NULL, MS_REMOUNT | MS_BIND | (rest & BIND_REMOUNT_FLAGS),
				 NULL, where);
		}
	} else if (rest || op->fstype || !prop) {
		mount_at(op->source, fd, op->fstype, rest, op->data, where);
	} else {
		mounted = 0; /* a propagation change alone, on what is there already */
	}
	if (prop) {
		/* fd is the file under a mount made just now, not the mount itself */
		if (mounted)
			fd = reopen(rootfd, fd, op, where);
		mount_at(NULL, fd, NULL, prop | rec, NULL, where);
	}
	close(fd);
}

/* For a new file at op->target: its parent directory (created if missing) and, in name (a
 * PATH_MAX buffer), the last component. */
static int open_parent(int rootfd, const struct op *op, const char *what, const char *where,
		       char *name)
{
	char parent[PATH_MAX], *last;
	int dirfd;

	if (snprintf(parent, sizeof parent, "%s", op->target) >= (int)sizeof parent)
		die(what, where, ENAMETOOLONG);
	for (size_t l = strlen(parent); l > 1 && parent[l - 1] == '/'; l--)
		parent[l - 1] = 0;
	last = strrchr(parent, '/');
	*last++ = 0;
	if (!*last || !strcmp(last, ".") || !strcmp(last, ".."))
		die(what, where, EINVAL);
	strcpy(name, last);
	dirfd = open_in_root(rootfd, *parent ? parent : "/", OPT_MKDIR, 0755);
	if (dirfd < 0)
		die("open", where, errno);
	return dirfd;
}

static void do_symlink(int rootfd, const struct op *op, const char *where)
{
	char name[PATH_MAX], buf[PATH_MAX];
	size_t len = strlen(op->source);
	ssize_t n;
	int dirfd = open_parent(rootfd, op, "symlink", where, name);

	if (symlinkat(op->source, dirfd, name) == 0) {
		if (chown_created(dirfd, name) < 0)
			die("symlink", where, errno);
	} else {
		if (errno != EEXIST)
			die("symlink", where, errno);
		/* an identical symlink is success; anything else there is not */
		n = readlinkat(dirfd, name, buf, sizeof buf);
		if (n < 0 || (size_t)n != len || memcmp(buf, op->source, len) != 0)
			die("symlink", where, EEXIST);
	}
	close(dirfd);
}

static void do_mkdir(int rootfd, const struct op *op, const char *where)
{
	struct stat st;
	int fd = open_in_root(rootfd, op->target, OPT_MKDIR, op->mode);

	if (fd < 0)
		die("mkdir", where, errno);
	if (fstat(fd, &st) < 0)
		die("mkdir", where, errno);
	if (!S_ISDIR(st.st_mode))
		die("mkdir", where, ENOTDIR);
	close(fd);
}

/* A device node, FIFO included: made with the plan's mode (PID 1's umask is 0) and owner. An
 * identical node already there is success. */
static void do_mknod(int rootfd, const struct op *op, const char *where)
{
	char name[PATH_MAX];
	struct stat st;
	int dirfd = open_parent(rootfd, op, "mknod", where, name);

	if (mknodat(dirfd, name, op->mode, op->dev) < 0) {
		if (errno != EEXIST)
			die("mknod", where, errno);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die("mknod", where, errno);
		if ((st.st_mode & S_IFMT) != (op->mode & S_IFMT) ||
		    (!S_ISFIFO(st.st_mode) && st.st_rdev != op->dev))
			die_reason("mknod", where, EEXIST, "a different file is there");
	}
	if (fchownat(dirfd, name, op->uid, op->gid, AT_SYMLINK_NOFOLLOW) < 0)
		die("mknod", where, errno);
	close(dirfd);
}

void rootfs_setup(const struct plan *pl)
{
	/* First cut propagation both ways: nothing mounted below reaches the host's namespace,
	 * and the host's later mounts do not pour into the pod. A slave root keeps receiving
	 * them, one way. */
	unsigned long first = (pl->root_propagation & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;

	if (mount(NULL, "/", NULL, MS_REC | first, NULL) < 0)
		die("mount", "/", errno);
	/* pivot_root needs the new root to be a mount point */
	if (mount(pl->root, pl->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		die("mount", pl->root, errno);
	userns_attach_idmaps(pl);
	const char *in_root = "/";

	for (size_t i = 0; i < pl->nops; i++) {
		const struct op *op = &pl->ops[i];
		char where[2 * PATH_MAX];
		int rootfd, base;

		if (op->kind == OP_IN_ROOT) {
			in_root = op->target;
			continue;
		}
		/* Both reopened for every directive: a mount onto "/" or onto the in-root
		 * directory (an app's overlay) covers what an older fd points to. */
		rootfd = open_dir(AT_FDCWD, pl->root);
		base = rootfd;
		snprintf(where, sizeof where, "%s", op->target);
		if (strcmp(in_root, "/") != 0) {
			base = resolve_flags(rootfd, in_root, 0, O_DIRECTORY);
			if (base < 0)
				die("open", in_root, errno);
			snprintf(where, sizeof where, "%s%s", in_root, op->target);
		}
		if (op->kind == OP_MOUNT)
			do_mount(base, op, where);
		else if (op->kind == OP_SYMLINK)
			do_symlink(base, op, where);
		else if (op->kind == OP_MKNOD)
			do_mknod(base, op, where);
		else
			do_mkdir(base, op, where);
		if (base != rootfd)
			close(base);
		close(rootfd);
	}
}

void rootfs_pivot(const struct plan *pl)
{
	int fd = open_dir(AT_FDCWD, pl->root);

	/* pivot_root(".", ".") stacks the old root on top of the new one at "/"; detaching it
	 * leaves only the new root, without needing a directory for the old one. */
	if (fchdir(fd) < 0)
		die("chdir", pl->root, errno);
	if (sys_pivot_root(".", ".") < 0)
		die("pivot_root", pl->root, errno);
	if (umount2(".", MNT_DETACH) < 0)
		die("umount", "/", errno);
	if (chdir("/") < 0)
		die("chdir", "/", errno);
	/* shared: a peer group of the pod's own (the host's was cut above); unbindable: "/"
	 * cannot be bound elsewhere */
	if (pl->root_propagation && mount(NULL, "/", NULL, pl->root_propagation, NULL) < 0)
		die("mount", "/", errno);
	close(fd);
}
