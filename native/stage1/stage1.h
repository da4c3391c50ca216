/* stage1.h: the plan as parsed, and the interfaces between the helper's parts.
 *
 *   plan.c       read and check the plan file
 *   fail.c       report a failure: stderr line + error-file JSON, or a record over a pipe
 *   main.c       the outer process: lock fd, pid file, signal forwarding, exit status
 *   pod.c        the pod's PID 1: namespaces, hostname, lo, then rootfs and supervise
 *   rootfs.c     in-root path resolution, mounts, mkdir, symlink, pivot_root
 *   supervise.c  PID 1 as supervisor: start apps, reap, forward signals, record statuses
 *   app.c        an app's child between fork and execve, its pre-start hook included
 *   applog.c     an app's stdout/stderr teed by PID 1 to the console and size-bounded files
 *   isolate.c    cgroups, capabilities, no_new_privs, seccomp: the app's last steps
 *   namespaces.c namespaces joined by path, or made inside the user namespace; PID 1 enters them
 *   userns.c     the user namespace: made with its maps, or joined and checked; idmapped layers
 *   hooks.c      an OCI container's startContainer hooks, run by the app's child after start
 *   enter.c      `rkt-stage1 enter`: a command inside a running app, with the app's isolation
 *   console.c    a pty for an app, its master sent over the caller's unix socket
 */
#ifndef RKT_STAGE1_H
#define RKT_STAGE1_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PLAN_VERSION 1
#define EXIT_HELPER  254

/* expr, a call that returns -1 on failure, made again for as long as a signal interrupts it */
#define RETRY_EINTR(expr) \
	({ long r_; do r_ = (long)(expr); while (r_ == -1 && errno == EINTR); r_; })

/* mount OPTIONS */
#define OPT_MKDIR    0x1
#define OPT_MKFILE   0x2
#define OPT_NOFOLLOW 0x4
#define OPT_OPTIONAL 0x8  /* a missing target is skipped */
#define OPT_SELF     0x10 /* bind the target onto itself */

enum op_kind { OP_MOUNT, OP_SYMLINK, OP_MKDIR, OP_MKNOD, OP_IN_ROOT };

/* One pod-phase directive that touches the root filesystem, kept in file order. */
struct op {
	enum op_kind kind;
	char *source;         /* mount SOURCE or symlink TARGET; NULL for "-" */
	char *target;         /* mount TARGET, symlink LINKPATH, mkdir or in-root PATH */
	char *fstype;         /* NULL for "-" */
	char *data;           /* NULL for "-" */
	unsigned long flags;  /* MS_* bits, propagation included */
	unsigned opts;        /* OPT_* bits */
	mode_t mode;          /* mkdir; mknod: type bits too */
	dev_t dev;            /* mknod */
	uid_t uid;            /* mknod: the node's owner */
	gid_t gid;
};

struct rlimit_entry {
	int resource;
	uint64_t soft, hard;
};

/* an app's hooks (`hook pre-start`, `hook post-stop`) */
enum { HOOK_PRE_START, HOOK_POST_STOP, NHOOKS };
extern const char *const hook_names[NHOOKS];

/* the namespaces `join` names, and the index of each in plan->ns_fd */
enum ns_kind { NSK_MNT, NSK_UTS, NSK_IPC, NSK_NET, NSK_CGROUP, NSK_PID, NSK_USER, NSK_COUNT };

/* one line of a uid_map or gid_map: ids INSIDE.. in the user namespace are OUTSIDE.. outside */
struct id_range {
	unsigned long inside, outside, count;
};

/* `start-hook PATH TIMEOUT` with its `hook-arg`s and `hook-env`s */
struct hook {
	char *path;
	char **argv;          /* NULL-terminated; empty: just PATH */
	size_t argc;
	char **envp;          /* NULL-terminated */
	size_t envc;
	unsigned long timeout; /* seconds; 0: none */
};

/* `sysctl PATH VALUE`: PATH under /proc/sys */
struct sysctl_entry {
	char *path, *value;
};

/* an app's capability sets, in struct app's caps[] */
enum { CAPS_BOUNDING, CAPS_EFFECTIVE, CAPS_PERMITTED, CAPS_INHERITABLE, CAPS_AMBIENT, NCAPS };

struct app {
	char *name, *root, *exec, *cwd;
	char **argv;          /* NULL-terminated */
	size_t argc;
	char **envp;          /* NULL-terminated */
	size_t envc;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	int have_uid, have_gid, have_groups;
	int unshare_flags;    /* `unshare mount,cgroup`: CLONE_NEWNS, CLONE_NEWCGROUP */
	char *log_dir;        /* `log DIR MAX`; NULL: no log, fds 1 and 2 are inherited */
	unsigned long log_max;
	uint64_t caps[NCAPS]; /* `caps-bounding`, `caps-effective` ... */
	int have_caps[NCAPS];
	struct rlimit_entry *rlimits; /* `rlimit NAME SOFT HARD`, set before ids change */
	size_t nrlimits;
	char *wait_fifo;        /* `wait-fifo PATH`: block before the seal until a byte arrives */
	int wait_fd;            /* opened O_RDWR by PID 1 before pivot_root; -1 until then */
	char *console_socket;   /* `console-socket PATH`: a new pty, its master sent there */
	int console_fd;         /* connected before the root changes; -1 until then */
	unsigned short console_rows, console_cols; /* `console-size ROWS COLS`; 0: unset */
	int no_new_privs, have_no_new_privs;
	mode_t umask;           /* `umask MODE`; without it the caller's */
	int have_umask;
	int home_from_passwd;   /* `home-from-passwd`: HOME from the app's /etc/passwd when env has none */
	int oom_score_adj, have_oom_score_adj;
	char *seccomp_file;
	unsigned char *filter;  /* struct sock_filter[], read from seccomp_file at plan load */
	size_t filter_len;      /* instructions */
	int seccomp_before_ids; /* `seccomp PATH before-ids`: loaded while still root, as runc does
				 * without no_new_privs (the kernel wants CAP_SYS_ADMIN then) */
	char **cgroups;         /* cgroup directories (host paths) the app joins */
	size_t ncgroups;
	int *cgroup_fds;        /* their cgroup.procs, opened by PID 1 before pivot_root */
	int userns_fd;          /* the pod's user namespace, joined after the cgroups; -1: none */
	struct hook *start_hooks; /* run after the wait-fifo byte (with the state line), before the seal */
	size_t nstart_hooks;
	int hold_fd;            /* pause-fifo: PID 1's release pipe, read before anything but the
				 * cgroups, rlimits and user namespace; -1: none */
	int root_fd;            /* pause-fifo: the pod root, chrooted into once released */
	char *devices_file;     /* `devices-bpf`: an eBPF device program for the app's v2 cgroup */
	unsigned char *devices_prog;
	size_t devices_len;     /* instructions */
	struct app *hooks[NHOOKS]; /* only exec, argv, ids, groups and caps-* are set in a hook */
	const char *role;       /* a hook's process (hook_process): its name, for errors; else NULL */
};

/* applog.c: one app's log state in PID 1 (stream 0 is stdout, 1 is stderr) */
struct applog {
	int dirfd;            /* -1: the app is not logged */
	int file[2];          /* the open log files */
	int rd[2], wr[2];     /* pipe ends; -1 when closed */
	unsigned long written[2], max;
};
void applog_open(const struct app *a, struct applog *l); /* before pivot_root */
void applog_pipes(struct applog *l, const char *name);   /* before the app's fork */
void applog_parent(struct applog *l);                    /* after it: close the write ends */
int applog_read(struct applog *l, int stream);           /* 1 data, 0 EOF, -1 nothing now */
void applog_flush(struct applog *l);                     /* after the app is gone */

struct plan {
	const char *file;
	char *pod_dir, *error_file, *status_dir, *root, *hostname;
	char *pids_dir;       /* `pids-dir`; NULL: app PIDs are not recorded */
	int enter;            /* an enter plan (`rkt-stage1 enter`), see enter.c */
	pid_t enter_pid, enter_ppid;      /* `enter PID PPID STARTTIME` */
	unsigned long long enter_start;
	int lock_fd;
	int error_fd;         /* enter: `error-fd N`, the caller's open error file; -1: none */
	int ns_flags;         /* CLONE_NEW*: the new namespaces still to make (see namespaces.c) */
	char *join_path[NSK_COUNT];  /* `join TYPE PATH` */
	int ns_fd[NSK_COUNT]; /* namespaces to enter: joined ones and ones made inside the user
			       * namespace; -1: none. ns_fd[NSK_USER] is the pod's user namespace */
	struct id_range *uid_map, *gid_map; /* `uid-map`, `gid-map` */
	size_t nuid_map, ngid_map;
	struct sysctl_entry *sysctls;
	size_t nsysctls;
	char *pause_fifo;     /* `pause-fifo PATH` */
	int pause_fd;         /* opened by PID 1 before anything else; -1 until then */
	unsigned long root_propagation; /* `root-propagation`: MS_* for "/" after pivot_root; 0: private */
	struct op *ops;
	size_t nops;
	char **idmaps;        /* `idmap PATH` directories */
	int *idmap_fds;       /* their detached idmapped binds, made by the outer process */
	size_t nidmaps;
	struct app *apps;
	size_t napps;
};

/* plan.c: parse PATH into *plan (a run plan, or with enter != 0 an enter plan); on any error
 * reports (via fail.c) and exits 254. */
void plan_load(const char *path, struct plan *plan, int enter);

/* fail.c */
struct failure {
	int err;
	char what[48];
	char reason[200];     /* empty: strerror(err) */
	char path[3800];      /* the whole record stays under PIPE_BUF, so one write is atomic */
};
void fail_set_error_file(const char *path);   /* outer process: where to write the JSON */
void fail_set_error_fd(int fd);               /* enter: write it to this open file instead */
void fail_set_pipe(int fd);                   /* PID 1 / app child: send records here instead */
_Noreturn void die(const char *what, const char *path, int err);
_Noreturn void die_reason(const char *what, const char *path, int err, const char *reason);
void require_clean_exit(int ws, const char *what, const char *path, const char *exited_fmt,
			const char *killed_fmt);
_Noreturn void fail_exit(const struct failure *f); /* report or send f, exit 254 */
void fail_set_context(const char *context);   /* a hook's process: "pre-start exec", not "exec" */
void fail_report(const struct failure *f);    /* stderr line + error file */
int fail_receive(int fd, struct failure *f);  /* 1 if a whole record was read from fd */
void fail_send(int fd, const struct failure *f);

/* app.c: process hygiene shared by the outer process, PID 1 and the app child */
void close_fds_except(int keep);              /* every fd above 2 but keep (-1: none) */
void close_fds_keeping(int *keep, size_t n);  /* every fd above 2 but those (sorts keep) */
void close_fd(int *fd);                       /* close *fd if open; it is -1 after */
void signals_reset(void);                     /* all dispositions to SIG_DFL */
void signals_forwarded(sigset_t *set);        /* SIGTERM, SIGINT, SIGHUP, SIGQUIT */

/* pod.c: body of the pod's PID 1; never returns. report_fd: pipe to the outer process. */
_Noreturn void pod_main(struct plan *plan, int report_fd);

/* rootfs.c */
int open_dir(int dirfd, const char *path);    /* an O_PATH directory fd, or die("open", path) */
void rootfs_setup(const struct plan *plan);   /* bind root, run ops (cwd unchanged) */
void rootfs_pivot(const struct plan *plan);   /* pivot_root into the root, chdir("/") */

/* supervise.c: start and supervise the apps; returns the pod's exit status. pids_fd: the
 * pids-dir, or -1. */
int supervise(const struct plan *plan, int status_dir_fd, int pids_fd, mode_t app_umask,
	      struct applog *logs);

/* main.c: waits for child, forwarding the blocked stop signals in set to it; its wait status */
int finish_child(pid_t child, const sigset_t *set, int report_fd); /* its status, or 254 on a failure record */

/* enter.c: `rkt-stage1 enter PLAN`; returns the command's exit status */
int enter_main(const char *plan_file);

/* namespaces.c */
void ns_prepare(struct plan *plan);           /* outer process, before PID 1's fork */
void ns_enter_pod(struct plan *plan);         /* PID 1: join and make the rest */
int ns_keep_fds(const struct plan *plan, int *fds); /* the fds PID 1 keeps; returns how many */

/* userns.c */
void userns_write_maps(pid_t pid, const struct plan *plan); /* outer, for a new one */
int userns_same_maps(int procdirfd, const struct plan *plan); /* /proc/PID's maps are the plan's */
void userns_idmaps(struct plan *plan);        /* outer: the detached idmapped binds */
void userns_attach_idmaps(const struct plan *plan); /* PID 1, own mount namespace */
void userns_join(int fd);                     /* app child, after its cgroups */
int userns_root_owner(const struct plan *plan, long *uid, long *gid); /* host ids of 0:0 */
void rootfs_set_owner(long uid, long gid);    /* what rootfs.c creates is chowned to it */

/* hooks.c: the app's child, after the start byte(s) */
void hooks_run_start(const struct app *app, const char *state, size_t len);

/* isolate.c */
void isolate_open_cgroups(struct plan *plan); /* PID 1, before pivot_root; the FIFOs too */
void isolate_join_cgroups(const struct app *app);
void isolate_attach_devices(const struct plan *plan); /* PID 1, before pivot_root */
void isolate_oom_score_adj(const struct app *app);
void isolate_bounding_set(const struct app *app);  /* before setuid */
void isolate_rlimits(const struct app *app);       /* before the bounding set is dropped */
void isolate_capabilities(const struct app *app);  /* after setuid */
void isolate_wait(const struct app *app, int report_fd); /* wait-fifo: tell PID 1, block, hooks */
void isolate_hold(const struct app *app, int report_fd); /* pause-fifo: tell PID 1, block, chroot */
void isolate_seccomp(const struct app *app);       /* load the filter */
void isolate_seal(const struct app *app);          /* no_new_privs, seccomp: last */

/* console.c */
void console_connect(const struct plan *plan);     /* PID 1 before pivot_root; enter before setns */
void console_attach(const struct app *app);        /* app child after chroot: pty, ctty, stdio */

/* app.c: in the forked child; never returns. report_fd: close-on-exec pipe to PID 1. */
char **env_with_home(const struct app *app); /* home.c: envp, with HOME added if missing */
_Noreturn void app_exec(const struct app *app, int report_fd, mode_t app_umask,
			const struct applog *log);
/* app.c: what runs a hook of owner: the owner's isolation, the hook's program, ids and caps */
struct app hook_process(const struct app *owner, int hook);

#endif
