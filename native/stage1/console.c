/* console.c: a terminal for an app (`console-socket`), as the OCI runtime's --console-socket
 * asks for it: the app gets a new pseudo-terminal from the devpts instance mounted in its own
 * root, whose slave becomes its controlling terminal and stdio, and whose master is sent with
 * SCM_RIGHTS over a unix socket the caller listens on (runc's protocol: one message, the fd in
 * its control data and "/dev/ptmx", the master's name, as its data).
 *
 * The socket is a host path, connected before the root changes (PID 1 before pivot_root, enter
 * before setns); the pty is made by the app's child after chroot, while still root. */
#include "stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441 /* _IO('T', 0x41), Linux 4.13 */
#endif

void console_connect(const struct plan *pl)
{
	for (size_t i = 0; i < pl->napps; i++) {
		struct app *a = &pl->apps[i];
		struct sockaddr_un addr;
		int fd;

		if (!a->console_socket)
			continue;
		memset(&addr, 0, sizeof addr);
		addr.sun_family = AF_UNIX;
		if (strlen(a->console_socket) >= sizeof addr.sun_path)
			die("console-socket", a->console_socket, ENAMETOOLONG);
		strcpy(addr.sun_path, a->console_socket);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket", a->console_socket, errno);
		if (RETRY_EINTR(connect(fd, (struct sockaddr *)&addr, sizeof addr)) < 0)
			die("console-socket", a->console_socket, errno);
		a->console_fd = fd;
	}
}

static void send_master(int sock, int master)
{
	char name[] = "/dev/ptmx";
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {name, sizeof name - 1};
	struct msghdr msg;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof msg);
	memset(control, 0, sizeof control);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof control;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &master, sizeof master);
	if (RETRY_EINTR(sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0)
		die("console-socket", "sendmsg", errno);
}

void console_attach(const struct app *a)
{
	int master, slave, unlock = 0;

	if (a->console_fd < 0)
		return;
	/* the root's /dev/ptmx: the pts/ptmx of the devpts the root has (TIOCGPTPEER fails on
	 * anything else, so a file the image put there is refused) */
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die("console", "/dev/ptmx", errno);
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		die("console", "/dev/ptmx", errno);
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die("console", "/dev/ptmx", errno);
	if (a->console_rows) {
		struct winsize ws = {a->console_rows, a->console_cols, 0, 0};

		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			die("console", "TIOCSWINSZ", errno);
	}
	send_master(a->console_fd, master);
	close(master);
	close(a->console_fd);
	/* the app's user can use its terminal (the group stays the devpts mount's) */
	if (fchown(slave, a->uid, (gid_t)-1) < 0)
		die("console", "fchown", errno);
	/* a session of its own, with the slave as its controlling terminal */
	if (setsid() < 0)
		die("setsid", a->name, errno);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		die("console", "TIOCSCTTY", errno);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			die("dup2", a->name, errno);
	if (slave > 2)
		close(slave);
}
