/**
 * The plan stage0 hands to the stage1 helper: everything about a pod, fully resolved, in the
 * line format of docs/stage1-interface.md (version 1). The helper makes no decisions of its own.
 */
export const PLAN_VERSION = 1;

export type Namespace = 'mount' | 'pid' | 'uts' | 'ipc' | 'net' | 'user';
/** The namespaces `join TYPE PATH` can name. */
export type JoinedNamespace = Namespace | 'cgroup';

/** One line of a uid_map or gid_map: ids `inside`… in the user namespace are `outside`… outside. */
export interface IdRange {
  inside: number;
  outside: number;
  count: number;
}

/** The maps of a new user namespace (written by the helper), or of a joined one (checked by it). */
export interface UserNamespaceMaps {
  uidMap: IdRange[];
  gidMap: IdRange[];
}
export type MountFlag =
  | 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'bind' | 'rec' | 'remount'
  | 'private' | 'slave' | 'shared' | 'unbindable' | 'strictatime' | 'relatime' | 'noatime';
export type MountOption = 'mkdir' | 'mkfile' | 'nofollow' | 'optional' | 'self';

export interface MountStep {
  kind: 'mount';
  source?: string;
  /** Inside the pod root. */
  target: string;
  fstype?: string;
  flags: MountFlag[];
  data?: string;
  options: MountOption[];
}

export interface MkdirStep {
  kind: 'mkdir';
  path: string;
  mode: number;
}

export interface SymlinkStep {
  kind: 'symlink';
  target: string;
  linkPath: string;
}

/** Makes later steps resolve their paths inside `path` (a path in the pod root); `/` is the pod root. */
export interface InRootStep {
  kind: 'in-root';
  path: string;
}

/** A device node or FIFO, made with exactly this mode and owner (`mknod`). */
export interface MknodStep {
  kind: 'mknod';
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

export type PodStep = InRootStep | MountStep | MkdirStep | MknodStep | SymlinkStep;

/** `root-propagation`: "/" of the pod after pivot_root; `slave` also keeps receiving the host's mounts. */
export type RootPropagation = 'private' | 'slave' | 'shared' | 'unbindable';

export interface AppPlan {
  name: string;
  /** The app's root, inside the pod root. */
  root: string;
  exec: string;
  /** The whole argv, argv[0] included. */
  argv: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  /** `unshare mount`: the app child enters a mount namespace of its own before chroot. */
  ownMountNamespace?: boolean;
  /** `unshare cgroup`: a cgroup namespace rooted at the app's cgroups (made after joining them). */
  ownCgroupNamespace?: boolean;
  /**
   * `log DIR MAXBYTES`: stdout and stderr go through pipes to PID 1, which writes them to the
   * console (its own fds 1 and 2) and to DIR/stdout and DIR/stderr, each rotated to `.1` when it
   * reaches MAXBYTES. Absent: the app writes to the inherited fds directly (--interactive).
   */
  log?: { dir: string; maxBytes: number };
  /** Capability bounding set, 16 hex digits; absent: left as the helper's. */
  capsBounding?: string;
  /** Effective = permitted set set after setuid (inheritable, ambient cleared); absent: untouched. */
  capsEffective?: string;
  /** Permitted set after setuid; absent: the effective set. Needs capsEffective. */
  capsPermitted?: string;
  /** Inheritable set after setuid; absent: empty. Needs capsEffective. */
  capsInheritable?: string;
  /** Raised into the ambient set after capset (each must be permitted and inheritable). */
  capsAmbient?: string;
  /** `rlimit NAME SOFT HARD`, set after chroot while still root. */
  rlimits?: RlimitPlan[];
  /**
   * `wait-fifo PATH`: a FIFO on the host; the app's child, ready but for the seccomp filter and
   * execve, makes PID 1 write `<status-dir>/<app>.created` and blocks until a byte can be read.
   */
  waitFifo?: string;
  /**
   * `console-socket PATH`: the app's child makes a pty from the devpts in its root, sends the
   * master over this unix socket (connected before the root changes) and takes the slave as its
   * controlling terminal and stdio.
   */
  consoleSocket?: string;
  /** `console-size ROWS COLS`: the pty's window size; needs consoleSocket. */
  consoleSize?: { rows: number; cols: number };
  noNewPrivs?: boolean;
  /** `umask MODE`: the app's umask; absent: the caller's. */
  umask?: number;
  /** `home-from-passwd`: without HOME in `env`, the app gets its uid's home from its root's /etc/passwd, or `/` (runc's rule). */
  homeFromPasswd?: boolean;
  oomScoreAdj?: number;
  /** Host path of a file holding the compiled seccomp program (struct sock_filter[]). */
  seccompFile?: string;
  /**
   * `seccomp PATH before-ids`: the filter is loaded before the ids and capabilities change, while
   * the helper still has CAP_SYS_ADMIN (needed without no_new_privs), instead of last.
   */
  seccompBeforeIds?: boolean;
  /** Host paths of the cgroup directories the app joins. */
  cgroups?: string[];
  /** `devices-bpf PATH`: an eBPF device program the helper attaches to the app's one (v2) cgroup. */
  devicesFile?: string;
  /** `hook NAME` blocks: commands run with the app's isolation, before it starts or after it exits. */
  hooks?: HookPlan[];
  /** `start-hook`: programs the app's child runs after the wait-fifo's state line, before its own. */
  startHooks?: StartHookPlan[];
}

/**
 * A hook: its own program, ids and capability sets; everything else (root, environment, working
 * directory, namespaces, cgroups, limits, bounding set, no_new_privs, seccomp, log) is its app's.
 * `pre-start` runs to its end before the app's exec (the app starts only if it exits 0);
 * `post-stop` after the app has exited, its status written to `<status-dir>/<app>.post-stop`.
 */
export interface HookPlan {
  name: 'pre-start' | 'post-stop';
  exec: string;
  /** The whole argv, argv[0] included. */
  argv: string[];
  uid: number;
  gid: number;
  groups: number[];
  capsEffective?: string;
}

/** An OCI startContainer hook: path and argv (argv[0] included; empty: the path), env, seconds (0: none). */
export interface StartHookPlan {
  path: string;
  argv: string[];
  env: string[];
  timeout: number;
}

/** NAME as the runtime spec writes it (`RLIMIT_NOFILE`); values decimal or `unlimited`. */
export interface RlimitPlan {
  name: string;
  soft: string;
  hard: string;
}

export interface Stage1Plan {
  podDir: string;
  /** `pids-dir`: PID 1 records each app's PID (as the pod sees it) there once it has exec'd. */
  pidsDir?: string;
  lockFd: number;
  errorFile: string;
  statusDir: string;
  /** New namespaces; with `user`, the others are made inside it (and `userNamespace` gives its maps). */
  namespaces: Namespace[];
  /** `join TYPE PATH`: namespace files to enter (a network namespace CNI ran in, another container's…). */
  joins?: Partial<Record<JoinedNamespace, string>>;
  /** `uid-map`/`gid-map`: required with a new user namespace; with a joined one, checked against it. */
  userNamespace?: UserNamespaceMaps;
  hostname: string;
  /** `idmap PATH`: host directories replaced, in the pod, by binds idmapped through the new user namespace. */
  idmaps?: string[];
  /** `sysctl PATH VALUE`: written under /proc/sys in the pod's namespaces (PATH as `net/ipv4/ip_forward`). */
  sysctls?: { path: string; value: string }[];
  /**
   * `pause-fifo PATH`: the first app's child is forked before pivot_root and waits (after its cgroups
   * and user namespace) until a byte reaches this FIFO; PID 1 writes `<status-dir>/<app>.paused` then.
   */
  pauseFifo?: string;
  root: string;
  /** Absent: private, as before the directive existed. `recursive`: submounts too (MS_REC). */
  rootPropagation?: { mode: RootPropagation; recursive: boolean };
  steps: PodStep[];
  apps: AppPlan[];
}

/**
 * Percent-encodes one field: every byte outside printable ASCII, and `%`, becomes %XX. The empty
 * string is `%00`, which a C decoder naturally reads back as "".
 */
export function encodePlanField(value: string): string {
  if (value === '') return '%00';
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function line(directive: string, ...fields: string[]): string {
  return [directive, ...fields.map(encodePlanField)].join(' ');
}

/** `-` stands for "none" in the fields that allow it; it is never percent-encoded. */
function orNone(value: string | undefined): string {
  return value === undefined || value === '' ? '-' : encodePlanField(value);
}

function listOrNone(values: readonly string[]): string {
  return values.length === 0 ? '-' : encodePlanField(values.join(','));
}

function stepLine(step: PodStep): string {
  switch (step.kind) {
    case 'mount':
      return [
        'mount',
        orNone(step.source),
        encodePlanField(step.target),
        orNone(step.fstype),
        listOrNone(step.flags),
        orNone(step.data),
        listOrNone(step.options),
      ].join(' ');
    case 'in-root':
      return line('in-root', step.path);
    case 'mkdir':
      return line('mkdir', step.path, step.mode.toString(8));
    case 'symlink':
      return line('symlink', step.target, step.linkPath);
    case 'mknod':
      return line('mknod', step.path, step.type, String(step.major), String(step.minor), step.mode.toString(8), String(step.uid), String(step.gid));
  }
}

/** The lines of one app's block, `app NAME` first; an enter plan's app has no root of its own. */
function appLines(app: Omit<AppPlan, 'root'> & { root?: string }): string[] {
  const unshared = [...(app.ownMountNamespace ? ['mount'] : []), ...(app.ownCgroupNamespace ? ['cgroup'] : [])];
  return [
    line('app', app.name),
    ...(app.root === undefined ? [] : [line('app-root', app.root)]),
    line('exec', app.exec),
    ...app.argv.map((arg) => line('arg', arg)),
    ...app.env.map((entry) => line('env', entry)),
    line('cwd', app.cwd),
    line('uid', String(app.uid)),
    line('gid', String(app.gid)),
    ['groups', listOrNone(app.groups.map(String))].join(' '),
    ...(unshared.length > 0 ? [line('unshare', unshared.join(','))] : []),
    ...(app.log ? [line('log', app.log.dir, String(app.log.maxBytes))] : []),
    ...(app.cgroups ?? []).map((dir) => line('cgroup', dir)),
    ...(app.oomScoreAdj === undefined ? [] : [line('oom-score-adj', String(app.oomScoreAdj))]),
    ...(app.umask === undefined ? [] : [line('umask', app.umask.toString(8))]),
    ...(app.homeFromPasswd ? [line('home-from-passwd')] : []),
    ...(app.capsBounding === undefined ? [] : [line('caps-bounding', app.capsBounding)]),
    ...(app.capsEffective === undefined ? [] : [line('caps-effective', app.capsEffective)]),
    ...(app.capsPermitted === undefined ? [] : [line('caps-permitted', app.capsPermitted)]),
    ...(app.capsInheritable === undefined ? [] : [line('caps-inheritable', app.capsInheritable)]),
    ...(app.capsAmbient === undefined ? [] : [line('caps-ambient', app.capsAmbient)]),
    ...(app.rlimits ?? []).map((limit) => line('rlimit', limit.name, limit.soft, limit.hard)),
    ...(app.waitFifo === undefined ? [] : [line('wait-fifo', app.waitFifo)]),
    ...(app.consoleSocket === undefined ? [] : [line('console-socket', app.consoleSocket)]),
    ...(app.consoleSize === undefined ? [] : [line('console-size', String(app.consoleSize.rows), String(app.consoleSize.cols))]),
    ...(app.noNewPrivs === undefined ? [] : [line('no-new-privs', app.noNewPrivs ? 'yes' : 'no')]),
    ...(app.seccompFile === undefined ? [] : [line('seccomp', app.seccompFile, ...(app.seccompBeforeIds ? ['before-ids'] : []))]),
    ...(app.devicesFile === undefined ? [] : [line('devices-bpf', app.devicesFile)]),
    ...(app.startHooks ?? []).flatMap((hook) => [
      line('start-hook', hook.path, String(hook.timeout)),
      ...hook.argv.map((arg) => line('hook-arg', arg)),
      ...hook.env.map((entry) => line('hook-env', entry)),
    ]),
    ...(app.hooks ?? []).flatMap(hookLines),
  ];
}

/** A hook's block, after its app's own directives. */
function hookLines(hook: HookPlan): string[] {
  return [
    line('hook', hook.name),
    line('exec', hook.exec),
    ...hook.argv.map((arg) => line('arg', arg)),
    line('uid', String(hook.uid)),
    line('gid', String(hook.gid)),
    ['groups', listOrNone(hook.groups.map(String))].join(' '),
    ...(hook.capsEffective === undefined ? [] : [line('caps-effective', hook.capsEffective)]),
  ];
}

function mapLines(maps: UserNamespaceMaps | undefined): string[] {
  const ranges = (directive: string, list: IdRange[]) => list.map((r) => line(directive, String(r.inside), String(r.outside), String(r.count)));
  return maps ? [...ranges('uid-map', maps.uidMap), ...ranges('gid-map', maps.gidMap)] : [];
}

/**
 * `rkt-stage1 enter PLAN`: a command run inside a running app. The process to enter is named by
 * its host PID, its parent's (the pod's PID 1) and its start time (`/proc/PID/stat` field 22), so
 * the helper can tell a reused PID; the app block is the app's own, with the command as exec and
 * argv, and without what an entered command takes from the running app (root, mount namespace,
 * logs).
 */
export interface EnterPlan {
  pid: number;
  ppid: number;
  startTime: bigint;
  /** The maps of the app's user namespace: the helper checks the app is in it (a child of its own), and joins it. */
  userNamespace?: UserNamespaceMaps;
  /**
   * `error-fd N`: an empty file the caller opened and passed as fd N, where the helper writes its
   * failure (the error file's JSON); without it, failures go to stderr only.
   */
  errorFd?: number;
  app: Omit<AppPlan, 'root' | 'ownMountNamespace' | 'ownCgroupNamespace' | 'log' | 'devicesFile' | 'waitFifo' | 'startHooks' | 'hooks'>;
}

export function serializeEnterPlan(plan: EnterPlan): string {
  const lines = [
    `rkt-stage1-plan ${PLAN_VERSION}`,
    line('enter', String(plan.pid), String(plan.ppid), plan.startTime.toString()),
    ...mapLines(plan.userNamespace),
    ...(plan.errorFd === undefined ? [] : [line('error-fd', String(plan.errorFd))]),
    ...appLines(plan.app),
  ];
  return lines.join('\n') + '\n';
}

export function serializePlan(plan: Stage1Plan): string {
  const lines = [
    `rkt-stage1-plan ${PLAN_VERSION}`,
    line('pod-dir', plan.podDir),
    ...(plan.pidsDir === undefined ? [] : [line('pids-dir', plan.pidsDir)]),
    line('lock-fd', String(plan.lockFd)),
    line('error-file', plan.errorFile),
    line('status-dir', plan.statusDir),
    // only joined ones: `-`
    ['namespaces', listOrNone(plan.namespaces)].join(' '),
    ...Object.entries(plan.joins ?? {}).map(([type, file]) => line('join', type, file)),
    ...mapLines(plan.userNamespace),
    // empty: the pod keeps the host name it inherits (the OCI runtime without a uts namespace)
    ...(plan.hostname === '' ? [] : [line('hostname', plan.hostname)]),
    ...(plan.idmaps ?? []).map((dir) => line('idmap', dir)),
    ...(plan.sysctls ?? []).map((entry) => line('sysctl', entry.path, entry.value)),
    ...(plan.pauseFifo === undefined ? [] : [line('pause-fifo', plan.pauseFifo)]),
    line('root', plan.root),
    ...(plan.rootPropagation ? [line('root-propagation', [plan.rootPropagation.mode, ...(plan.rootPropagation.recursive ? ['rec'] : [])].join(','))] : []),
    ...plan.steps.map(stepLine),
  ];
  for (const app of plan.apps) lines.push(...appLines(app));
  return lines.join('\n') + '\n';
}
