/**
 * What seccomp an app gets: containerd's default profile (an allow-list, default action
 * ERRNO(EPERM)), or what rkt's `--seccomp mode=retain|remove[,errno=NAME],SYSCALL,...` makes of it,
 * with rkt's wildcards. Names that do not exist on the architecture (the 32-bit-only calls in the
 * shared lists) are skipped in wildcards; a name the user wrote must exist.
 */
import { RktError } from '../errors/rkt-error.js';
import {
  errnoAction, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, syscallTable, type ArgTest, type SeccompProfile, type SeccompRule,
} from './seccomp-bpf.js';

/** containerd's contrib/seccomp default allow-list (plus its amd64 extras and the calls it has added since). */
export const DEFAULT_ALLOWED_SYSCALLS: readonly string[] = `
accept accept4 access alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime clock_getres
clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect
copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2
epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync
fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid
geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname
getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset
landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr
lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat
mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64
mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe
pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64
process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall
rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop
semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid
setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid
setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid
setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs
sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill
truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice
wait4 waitid waitpid write writev
arch_prctl modify_ldt ptrace process_vm_readv process_vm_writev
`.trim().split(/\s+/);

const CLONE_NAMESPACE_FLAGS = 0x7e020000; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
const AF_ALG = 38;
const AF_VSOCK = 40;

/** Allowed only when an argument test holds, in every profile that allows them. */
const CONDITIONAL: Record<string, ArgTest> = {
  personality: { arg: 0, op: 'in', values: [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] },
  clone: { arg: 0, op: 'mask-clear', mask: CLONE_NAMESPACE_FLAGS },
  socket: { arg: 0, op: 'not-in', values: [AF_ALG, AF_VSOCK] },
};

/** Calls containerd allows when the app's bounding set has the capability that guards them. */
const BY_CAPABILITY: Record<string, readonly string[]> = {
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_ADMIN: ['bpf', 'fanotify_init', 'lookup_dcookie', 'mount', 'perf_event_open', 'quotactl', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'adjtimex'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
};

/** rkt's @rkt/default-blacklist = @docker/default-blacklist. */
export const DEFAULT_BLACKLIST: readonly string[] = `
acct add_key adjtimex bpf clock_adjtime clock_settime create_module delete_module finit_module get_kernel_syms
get_mempolicy init_module ioperm iopl kcmp kexec_file_load kexec_load keyctl lookup_dcookie mbind mount move_pages
name_to_handle_at nfsservctl open_by_handle_at perf_event_open pivot_root process_vm_readv process_vm_writev ptrace
query_module quotactl reboot request_key set_mempolicy setns settimeofday stime swapon swapoff sysfs _sysctl umount
umount2 unshare uselib userfaultfd ustat vm86 vm86old
`.trim().split(/\s+/);

/** Always allowed in a retain set, as systemd's SystemCallFilter did for rkt: the helper must reach execve. */
const ALWAYS_RETAINED = ['execve', 'exit', 'exit_group', 'rt_sigreturn'];

const ERRNOS: Record<string, number> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10, EAGAIN: 11,
  ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31,
  EPIPE: 32, EDOM: 33, ERANGE: 34, ENOSYS: 38, ENOTSOCK: 88, EPROTONOSUPPORT: 93, EOPNOTSUPP: 95, ENOTSUP: 95,
  EAFNOSUPPORT: 97,
};

export interface SeccompIsolator {
  mode: 'retain' | 'remove';
  /** errno name; without it a blocked call kills the process (SIGSYS). */
  errno?: string;
  names: string[];
}

function seccompError(message: string): RktError {
  return new RktError('usage', 'ERR_SECCOMP_INVALID', message, { hint: 'e.g. --seccomp=mode=remove,errno=ENOTSUP,chmod,fchmod (see docs/isolation.md)' });
}

/** A seccomp isolator from elsewhere (an appc image's): its errno known, at least one call named. */
export function checkSeccompIsolator(where: string, isolator: SeccompIsolator): SeccompIsolator {
  if (isolator.errno !== undefined && !(isolator.errno in ERRNOS)) throw seccompError(`${where}: unknown errno "${isolator.errno}"`);
  if (isolator.names.length === 0) throw seccompError(`${where}: no system call given`);
  return isolator;
}

/** `--seccomp mode=retain|remove[,errno=NAME],SYSCALL,...` */
export function parseSeccompFlag(text: string): SeccompIsolator {
  const words = text.split(',').map((word) => word.trim()).filter((word) => word !== '');
  let mode: SeccompIsolator['mode'] | undefined;
  let errno: string | undefined;
  const names: string[] = [];
  for (const word of words) {
    if (word.startsWith('mode=')) {
      const value = word.slice(5);
      if (value !== 'retain' && value !== 'remove') throw seccompError(`--seccomp: mode must be retain or remove, not "${value}"`);
      mode = value;
    } else if (word.startsWith('errno=')) {
      errno = word.slice(6);
      if (!(errno in ERRNOS)) throw seccompError(`--seccomp: unknown errno "${errno}"`);
    } else {
      names.push(word);
    }
  }
  if (mode === undefined) throw seccompError(`--seccomp=${text}: no mode=retain or mode=remove`);
  if (names.length === 0) throw seccompError(`--seccomp=${text}: no system call given`);
  return { mode, ...(errno === undefined ? {} : { errno }), names };
}

const DEFAULT_WHITELIST = [...DEFAULT_ALLOWED_SYSCALLS, 'clone', 'personality', 'socket'];

const WILDCARDS: Record<string, () => readonly string[]> = {
  '@rkt/default-whitelist': () => DEFAULT_WHITELIST,
  '@docker/default-whitelist': () => DEFAULT_WHITELIST,
  '@rkt/default-blacklist': () => DEFAULT_BLACKLIST,
  '@docker/default-blacklist': () => DEFAULT_BLACKLIST,
};

/** Expands wildcards; names from wildcards that this architecture lacks are dropped. */
function expandNames(names: readonly string[], table: Readonly<Record<string, number>>): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const wildcard = WILDCARDS[name];
    if (wildcard) {
      for (const member of wildcard()) if (member in table) out.add(member);
    } else if (name.startsWith('@')) {
      throw seccompError(`--seccomp: unknown wildcard "${name}" (known: ${[...Object.keys(WILDCARDS), '@appc.io/all', '@appc.io/empty'].join(', ')})`);
    } else if (!(name in table)) {
      throw new RktError('usage', 'ERR_SECCOMP_SYSCALL_UNKNOWN', `seccomp: unknown system call "${name}"`, {
        hint: 'system calls are named as in the kernel (e.g. mkdirat, clock_settime)',
      });
    } else {
      out.add(name);
    }
  }
  return [...out];
}

function allowRules(names: readonly string[], bounding: readonly string[]): SeccompRule[] {
  const unconditionalClone = bounding.includes('CAP_SYS_ADMIN');
  const rules: SeccompRule[] = names.map((syscall) => {
    const when = CONDITIONAL[syscall];
    return when && !(syscall === 'clone' && unconditionalClone) ? { syscall, action: SECCOMP_RET_ALLOW, when } : { syscall, action: SECCOMP_RET_ALLOW };
  });
  // clone3 passes its flags in memory, where BPF cannot look: ENOSYS makes libc fall back to clone.
  if (!names.includes('clone3') && !unconditionalClone) rules.push({ syscall: 'clone3', action: errnoAction(ERRNOS.ENOSYS!) });
  return rules;
}

/**
 * The profile for one app, or undefined for no filter at all (`mode=retain,@appc.io/all`).
 * `bounding` is the app's capability bounding set: containerd allows a few calls only with their
 * capability.
 */
export function seccompProfile(isolator: SeccompIsolator | undefined, bounding: readonly string[], arch: string = process.arch): SeccompProfile | undefined {
  const { table } = syscallTable(arch);
  const blocked = isolator?.errno === undefined ? SECCOMP_RET_KILL_PROCESS : errnoAction(ERRNOS[isolator.errno]!);
  if (isolator === undefined || (isolator.mode === 'remove' && isolator.names.includes('@appc.io/empty'))) {
    const eperm = errnoAction(ERRNOS.EPERM!);
    const extra = bounding.flatMap((cap) => BY_CAPABILITY[cap] ?? []);
    const names = [...new Set([...DEFAULT_WHITELIST, ...extra])].filter((name) => name in table);
    return { defaultAction: eperm, foreignAction: eperm, rules: allowRules(names, bounding) };
  }
  if (isolator.mode === 'retain') {
    if (isolator.names.includes('@appc.io/all')) return undefined;
    const names = expandNames([...isolator.names.filter((name) => name !== '@appc.io/empty'), ...ALWAYS_RETAINED], table);
    return { defaultAction: blocked, foreignAction: blocked, rules: allowRules(names, bounding) };
  }
  const names = expandNames(isolator.names.filter((name) => name !== '@appc.io/all'), table).filter((name) => !ALWAYS_RETAINED.includes(name));
  return { defaultAction: SECCOMP_RET_ALLOW, foreignAction: blocked, rules: names.map((syscall) => ({ syscall, action: blocked })) };
}
