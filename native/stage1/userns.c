/* userns.c: the pod's user namespace and its id maps.
 *
 * A new one is made by a child of the outer process (namespaces.c), whose uid_map and gid_map
 * the outer process writes from the plan's `uid-map` and `gid-map` lines; a joined one may have
 * its maps checked against them. For each `idmap` directory the outer process also makes a
 * detached bind mapped through the new namespace (open_tree + mount_setattr(MOUNT_ATTR_IDMAP)),
 * so that files owned by uid N on disk appear owned by the host id that N maps to. PID 1
 * inherits the fds, attaches the idmapped binds over their directories in its own mount
 * namespace (overlay then stacks them) and stays in the host's user namespace to build the
 * root. Each app's child joins the namespace after its cgroups and before everything else. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RKT_OPEN_TREE_CLONE 1
#define RKT_AT_EMPTY_PATH 0x1000
#define RKT_MOVE_MOUNT_F_EMPTY_PATH 0x4
#define RKT_MOUNT_ATTR_IDMAP 0x100000ULL
#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

struct rkt_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* The kernel takes a whole map in one write of less than a page. */
static void write_map(pid_t pid, const char *file, const struct id_range *r, size_t n)
{
	char path[64], text[4096];
	size_t len = 0;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(text + len, sizeof text - len, "%lu %lu %lu\n", r[i].inside,
				 r[i].outside, r[i].count);
		if (w < 0 || (size_t)w >= sizeof text - len)
			die_reason("user-namespace", path, E2BIG, "the map does not fit in a page");
		len += (size_t)w;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		die("user-namespace", path, errno);
	close(fd);
}

void userns_write_maps(pid_t pid, const struct plan *pl)
{
	write_map(pid, "uid_map", pl->uid_map, pl->nuid_map);
	write_map(pid, "gid_map", pl->gid_map, pl->ngid_map);
}

/* FILE under the /proc/PID directory fd has exactly the ranges r, in any order */
static int same_map(int dirfd, const char *file, const struct id_range *r, size_t n)
{
	char buf[8192];
	size_t lines = 0;
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (len < 0)
		die("open", file, errno);
	close(fd);
	buf[len] = 0;
	for (char *line = buf, *next; *line; line = next) {
		unsigned long in, out, count;
		size_t i;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		if (sscanf(line, "%lu %lu %lu", &in, &out, &count) != 3)
			return 0;
		for (i = 0; i < n && (r[i].inside != in || r[i].outside != out || r[i].count != count); i++)
			;
		if (i == n)
			return 0;
		lines++;
	}
	return lines == n;
}

int userns_same_maps(int dirfd, const struct plan *pl)
{
	return same_map(dirfd, "uid_map", pl->uid_map, pl->nuid_map) &&
	       same_map(dirfd, "gid_map", pl->gid_map, pl->ngid_map);
}

void userns_idmaps(struct plan *pl)
{
	for (size_t i = 0; i < pl->nidmaps; i++) {
		struct rkt_mount_attr attr = {RKT_MOUNT_ATTR_IDMAP, 0, 0,
					      (uint64_t)pl->ns_fd[NSK_USER]};
		int fd = (int)syscall(SYS_open_tree, AT_FDCWD, pl->idmaps[i],
				      RKT_OPEN_TREE_CLONE | O_CLOEXEC);

		if (fd < 0)
			die("idmap", pl->idmaps[i], errno);
		if (syscall(SYS_mount_setattr, fd, "", RKT_AT_EMPTY_PATH, &attr, sizeof attr) < 0)
			die("idmap", pl->idmaps[i], errno);
		pl->idmap_fds[i] = fd;
	}
}

/* PID 1, in its own mount namespace, before the plan's mounts */
void userns_attach_idmaps(const struct plan *pl)
{
	for (size_t i = 0; i < pl->nidmaps; i++) {
		if (syscall(SYS_move_mount, pl->idmap_fds[i], "", AT_FDCWD, pl->idmaps[i],
			    RKT_MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die("idmap", pl->idmaps[i], errno);
		close(pl->idmap_fds[i]);
	}
}

/* an app's child (or an entered command), after joining its cgroups */
void userns_join(int fd)
{
	if (fd >= 0 && setns(fd, CLONE_NEWUSER) < 0)
		die("setns", "user", errno);
}

static long to_host(const struct id_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].inside == 0)
			return (long)r[i].outside;
	return -1;
}

/* the host ids of the namespace's root, when the maps map 0 */
int userns_root_owner(const struct plan *pl, long *uid, long *gid)
{
	*uid = to_host(pl->uid_map, pl->nuid_map);
	*gid = to_host(pl->gid_map, pl->ngid_map);
	return *uid >= 0 && *gid >= 0;
}
