/* sample: rkt's embedded sample app. It says hello and shows a few things that tell you it
 * runs in a pod: the hostname, its PID (small, in the pod's own PID namespace), its ids, its
 * working directory and SAMPLE_GREETING from its environment.
 *
 *   sample [NAME] | sample --greet NAME */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *name = "world", *greeting = getenv("SAMPLE_GREETING");
	char host[256] = "?", cwd[PATH_MAX] = "?";

	if (argc >= 3 && strcmp(argv[1], "--greet") == 0)
		name = argv[2];
	else if (argc >= 2 && strcmp(argv[1], "--greet") != 0)
		name = argv[1];
	if (gethostname(host, sizeof host) < 0)
		strcpy(host, "?");
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "?");

	printf("Hello, %s! This is rkt's sample app.\n", name);
	printf("hostname: %s\n", host);
	printf("pid: %d\n", (int)getpid());
	printf("uid: %u gid: %u\n", (unsigned)getuid(), (unsigned)getgid());
	printf("cwd: %s\n", cwd);
	if (greeting)
		printf("SAMPLE_GREETING: %s\n", greeting);
	return fflush(stdout) == 0 ? 0 : 1;
}
