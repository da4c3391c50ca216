/* recvtty: the receiving end of an OCI runtime's --console-socket, for rkt's tests (runc ships a
 * tool of the same purpose). Node cannot receive a file descriptor over a unix socket, so the
 * tests run this instead.
 *
 *   recvtty SOCKET
 *
 * Listens on SOCKET (a path that must not exist), prints "recvtty: listening" on stderr, accepts
 * one connection and takes one message from it: a file descriptor in SCM_RIGHTS control data, and
 * its name as data, printed as "recvtty: received NAME" on stderr. That is the pty's master:
 * what arrives on stdin is written to it, what the master gives is written to stdout, until the
 * master reports the terminal closed (EIO: no process holds the slave any more). Exit 0 then; 1 if
 * anything else went wrong. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
	return 1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* one message with one fd; returns it, or -1 */
static int receive_fd(int conn)
{
	char name[4096], control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {name, sizeof name - 1};
	struct msghdr msg;
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd;

	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof control;
	n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0) {
		fail("recvmsg");
		return -1;
	}
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "recvtty: the message (%zd bytes) carries no file descriptor\n", n);
		return -1;
	}
	memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
	name[n] = 0;
	fprintf(stderr, "recvtty: received %s\n", name);
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr;
	struct pollfd fds[2];
	char buf[4096];
	int sock, conn, master;

	if (argc != 2 || strlen(argv[1]) >= sizeof addr.sun_path) {
		fprintf(stderr, "usage: recvtty SOCKET\n");
		return 2;
	}
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[1]);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return fail("socket");
	if (bind(sock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(sock, 1) < 0)
		return fail(argv[1]);
	fprintf(stderr, "recvtty: listening\n");
	conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return fail("accept");
	master = receive_fd(conn);
	if (master < 0)
		return 1;
	close(conn);
	close(sock);

	fds[0].fd = 0;
	fds[1].fd = master;
	fds[0].events = fds[1].events = POLLIN;
	for (;;) {
		ssize_t n;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll");
		}
		if (fds[0].revents) {
			n = read(0, buf, sizeof buf);
			if (n <= 0)
				fds[0].fd = -1; /* end of input: the terminal stays open */
			else if (write_all(master, buf, (size_t)n) < 0)
				return fail("write to the master");
		}
		if (fds[1].revents) {
			n = read(master, buf, sizeof buf);
			if (n < 0 && errno == EIO)
				return 0; /* the slave's last holder is gone */
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return fail("read from the master");
			if (n == 0)
				return 0;
			if (n > 0 && write_all(1, buf, (size_t)n) < 0)
				return fail("write to stdout");
		}
	}
}
