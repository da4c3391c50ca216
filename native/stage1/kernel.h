/* kernel.h: the few kernel interfaces musl does not wrap.
 *
 * musl-gcc does not search /usr/include/linux, and mixing glibc's kernel headers with musl's
 * libc headers breaks, so the handful of constants and structs we need are spelled out here
 * (values from the kernel's uapi headers, stable ABI) with thin syscall(2) wrappers. */
#ifndef RKT_KERNEL_H
#define RKT_KERNEL_H

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* include/uapi/linux/openat2.h */
struct rkt_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV       0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS   0x04
#define RESOLVE_BENEATH       0x08
#define RESOLVE_IN_ROOT       0x10
#endif

/* include/uapi/linux/close_range.h */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static inline int sys_openat2(int dirfd, const char *path, struct rkt_open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof *how);
}

static inline int sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}

static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* The raw getcwd syscall: unlike some libc wrappers it reports a directory outside the
 * process's root as "(unreachable)/...", which is exactly what we need to detect. */
static inline long sys_getcwd(char *buf, unsigned long size)
{
	return syscall(SYS_getcwd, buf, size);
}

#endif
