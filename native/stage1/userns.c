/* userns.c: --private-users. The outer process (in the host's namespaces, with the host's
 * /proc) makes the pod's user namespace with a throwaway child, writes its uid_map and gid_map
 * ("0 SHIFT COUNT") and keeps an fd on it; it also makes, for each `idmap` directory, a detached
 * bind of it mapped through that namespace (open_tree + mount_setattr(MOUNT_ATTR_IDMAP)), so
 * that files owned by uid N on disk appear owned by SHIFT+N. PID 1 inherits the fds, attaches
 * the idmapped binds over their directories in its own mount namespace (overlay then stacks
 * them) and stays in the host's user namespace to build the root. Each app's child joins the
 * namespace after its cgroups and before everything else. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

static void write_map(pid_t pid, const char *file, const struct plan *pl)
{
	char path[64], text[64];
	int len = snprintf(text, sizeof text, "0 %lu %lu\n", pl->userns_shift, pl->userns_count), fd;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, (size_t)len) != len)
		die("private-users", path, errno);
	close(fd);
}

void userns_create(struct plan *pl)
{
	char path[64], c;
	int sync[2];
	pid_t pid;

	if (!pl->userns_count)
		return;
	if (pipe2(sync, O_CLOEXEC) < 0)
		die("pipe", "-", errno);
	/* a child born in the new namespace; it waits for EOF on the pipe, then exits */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		die("clone", "CLONE_NEWUSER", errno);
	if (pid == 0) {
		close(sync[1]);
		while (read(sync[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sync[0]);
	write_map(pid, "uid_map", pl);
	write_map(pid, "gid_map", pl);
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	pl->userns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pl->userns_fd < 0)
		die("open", path, errno);
	close(sync[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < pl->napps; i++)
		pl->apps[i].userns_fd = pl->userns_fd;
	for (size_t i = 0; i < pl->nidmaps; i++) {
		struct rkt_mount_attr attr = {RKT_MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)pl->userns_fd};
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
