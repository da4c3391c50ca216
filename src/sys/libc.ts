/**
 * The few libc calls Node does not offer: flock(2), execve(2), fcntl(2) on fd flags, chroot(2),
 * mknod(2) and setxattr(2)/lsetxattr(2). Loaded lazily through koffi so that commands which do not
 * need them pay nothing at start-up.
 */
import { createRequire } from 'node:module';
import type Koffi from 'koffi';
import { RktError } from '../errors/rkt-error.js';

interface Libc {
  flock: (fd: number, op: number) => number;
  execve: (path: string, argv: (string | null)[], envp: (string | null)[]) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
  chroot: (path: string) => number;
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer, size: number) => number;
  umount2: (target: string, flags: number) => number;
  errno: () => number;
}

let loaded: Libc | undefined;

/**
 * koffi's own entry (index.js) costs more than the addon it loads (4–20 ms per `rkt run` and `rkt
 * rm` here): it brings in https, zlib and crypto for its installer and probes a list of paths. The
 * prebuilt addon for this platform is loaded directly; its exports are the same API minus the
 * deprecated aliases, which rkt does not use. The version check is the one index.js makes. Any
 * other layout (a musl build, an addon built from source) goes through index.js as before.
 */
function loadKoffi(require: NodeJS.Require): typeof Koffi {
  try {
    const native = require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`) as typeof Koffi & { version?: string };
    const { version } = require('koffi/package.json') as { version: string };
    if (native.version === version) return native;
  } catch {
    // not the prebuilt layout: fall back to koffi's own loader
  }
  return require('koffi') as typeof Koffi;
}

function libc(): Libc {
  if (loaded) return loaded;
  // koffi is a native addon; createRequire keeps it out of the bundle and loads it only when needed.
  const require = createRequire(import.meta.url);
  const koffi = loadKoffi(require);
  const lib = koffi.load('libc.so.6');
  loaded = {
    flock: lib.func('int flock(int, int)'),
    execve: lib.func('int execve(const char *, const char **, const char **)'),
    fcntl: lib.func('int fcntl(int, int, int)'),
    chroot: lib.func('int chroot(const char *)'),
    mknod: lib.func('int mknod(const char *, uint32_t, uint64_t)'),
    lsetxattr: lib.func('int lsetxattr(const char *, const char *, const void *, size_t, int)'),
    lgetxattr: lib.func('long lgetxattr(const char *, const char *, _Out_ void *, size_t)'),
    umount2: lib.func('int umount2(const char *, int)'),
    errno: () => koffi.errno(),
  };
  return loaded;
}

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const EWOULDBLOCK = 11;
const EINTR = 4;

export type LockKind = 'shared' | 'exclusive';

function systemError(call: string, target: string, errno: number): RktError {
  return new RktError('system', 'ERR_SYSTEM_CALL', `${call} ${target}: ${errnoName(errno)} (errno ${errno})`);
}

/** Takes a flock(2) lock; returns false instead of blocking when `wait` is false and it is held. */
export function flockFd(fd: number, kind: LockKind, wait: boolean): boolean {
  const op = (kind === 'shared' ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  for (;;) {
    if (libc().flock(fd, op) === 0) return true;
    const errno = libc().errno();
    if (errno === EINTR) continue;
    if (errno === EWOULDBLOCK && !wait) return false;
    throw systemError('flock', `fd ${fd}`, errno);
  }
}

export function unlockFd(fd: number): void {
  libc().flock(fd, LOCK_UN);
}

/** Node opens every fd close-on-exec; an fd meant for stage1 must survive the execve. */
export function setInheritable(fd: number): void {
  const flags = libc().fcntl(fd, F_GETFD, 0);
  if (flags < 0 || libc().fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
    throw systemError('fcntl F_SETFD', `fd ${fd}`, libc().errno());
  }
}

/** Replaces this process with `path`. Returns only by throwing. */
export function execve(path: string, argv: string[], env: Record<string, string>): never {
  const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  libc().execve(path, [...argv, null], [...envp, null]);
  throw systemError('execve', path, libc().errno());
}

export function chroot(path: string): void {
  if (libc().chroot(path) !== 0) throw systemError('chroot', path, libc().errno());
}

const S_IFCHR = 0o020000;

/** Creates a character device node; used for overlay whiteouts (0:0). */
export function mknodChar(path: string, mode: number, major: number, minor: number): void {
  const dev = (BigInt(major) << 8n) | BigInt(minor);
  if (libc().mknod(path, S_IFCHR | mode, dev) !== 0) throw systemError('mknod', path, libc().errno());
}

const S_IFIFO = 0o010000;

/** Creates a FIFO; Node has no mkfifo. Used when extracting image layers. */
export function mknodFifo(path: string, mode: number): void {
  if (libc().mknod(path, S_IFIFO | mode, 0n) !== 0) throw systemError('mknod', path, libc().errno());
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (libc().lsetxattr(path, name, value, value.length, 0) !== 0) {
    throw systemError('lsetxattr', `${name} on ${path}`, libc().errno());
  }
}

/** The value of an xattr of `path` itself (symlinks not followed), or undefined when it has none. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const buffer = Buffer.alloc(256);
  const size = Number(libc().lgetxattr(path, name, buffer, buffer.length));
  if (size >= 0) return buffer.subarray(0, size);
  const errno = libc().errno();
  if (errno === 61 /* ENODATA */ || errno === 95 /* EOPNOTSUPP */) return undefined;
  throw systemError('lgetxattr', `${name} on ${path}`, errno);
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 4: 'EINTR', 5: 'EIO', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES',
  16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 28: 'ENOSPC', 30: 'EROFS',
  38: 'ENOSYS', 40: 'ELOOP', 95: 'EOPNOTSUPP',
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

const MNT_DETACH = 2;

/** Lazily detaches a mount; used only to clean up after a pod whose helper was killed. */
export function umountDetach(target: string): void {
  if (libc().umount2(target, MNT_DETACH) !== 0) throw systemError('umount', target, libc().errno());
}
