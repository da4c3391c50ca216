/**
 * The OCI lifecycle (runtime-spec "Lifecycle" and "Operations") on the stage1 helper:
 *
 * - create: writes the plan and starts the helper detached (its own session), holding the
 *   container's lock; returns once the container process waits on `exec.fifo` (the helper's
 *   `wait-fifo`), leaving the helper running, as runc leaves its init.
 * - start: writes a byte to the FIFO and removes it; the process seals itself and execs.
 * - state: derived every time from /proc, checked against the recorded start times so that a
 *   reused PID never passes for the container: created (FIFO still there), running, stopped.
 * - kill, delete (--force kills), list, ps.
 *
 * Under --root/<id>/: state.json, plan, error.json, status/, pids/, exec.fifo, pause.fifo,
 * seccomp.bpf, pid.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { removeCgroups } from '../isolation/cgroups.js';
import { ociRuntimeConfigSchema, type OciHook, type OciProcess, type OciRuntimeConfig } from '../schema/oci-runtime-config.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import { findStage1Helper } from '../stage1/helper-binary.js';
import { readStage1Failure } from '../stage1/helper-error.js';
import { serializePlan, type AppPlan, type EnterPlan, type UserNamespaceMaps } from '../stage1/stage1-plan.js';
import { flockFd, mknodFifo } from '../sys/libc.js';
import { openEnterPlan } from './enter-plan-fd.js';
import { unsupported } from './oci-errors.js';
import { runContainerHooks, runRuntimeHooks, runWarningHooks } from './oci-hooks.js';
import {
  APP_NAME, appRlimits, buildOciPlan, capabilitySets, consoleFields, containerFiles, hasCreateHooks, processFields, refuseUnappliedProcessFields, seccompFields, type ContainerFiles,
} from './oci-plan.js';

/** The runtime-spec version the state documents follow. */
export const OCI_VERSION = '1.2.0';
const ID_PATTERN = /^[\w+.-]+$/;
/** The container process's lock fd in the helper: the first fd after stdio. */
const HELPER_LOCK_FD = 3;
/** exec: the enter plan is fd 3, the helper's error file fd 4. */
const EXEC_ERROR_FD = 4;

export type OciStatus = 'creating' | 'created' | 'running' | 'stopped';

/** runtime-spec state, plus runc's rootfs, created and owner (go-runc reads them). */
export interface OciState {
  ociVersion: string;
  id: string;
  status: OciStatus;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
}

interface ContainerRecord {
  id: string;
  bundle: string;
  rootfs: string;
  created: string;
  annotations: Record<string, string>;
  phase: 'creating' | 'created';
  pid?: number;
  pidStart?: string;
  helperPid?: number;
  cgroupsCreated: string[];
  cgroupDirs: string[];
  hooks: { startContainer: OciHook[]; poststart: OciHook[]; poststop: OciHook[] };
  /** The maps of the container process's user namespace, when it has one (exec joins it). */
  userNamespace?: UserNamespaceMaps;
}

export interface RuntimeContext {
  root: string;
  /** Messages for --debug. */
  debug: (message: string) => void;
  /** Hook failures that do not fail the operation (poststart, poststop): the spec says warn. */
  warn: (message: string) => void;
}

function ociError(code: string, message: string, hint?: string): RktError {
  return new RktError('pod', code, message, hint === undefined ? {} : { hint });
}

function checkId(id: string): void {
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') throw new RktError('usage', 'ERR_OCI_ID_INVALID', `invalid container id "${id}"`, { hint: 'ids are letters, digits, _ + - and .' });
}

function containerDir(ctx: RuntimeContext, id: string): string {
  checkId(id);
  return path.join(ctx.root, id);
}

function recordFile(dir: string): string {
  return path.join(dir, 'state.json');
}

function writeRecord(dir: string, record: ContainerRecord): void {
  const tmp = path.join(dir, 'state.json.tmp');
  fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
  fs.renameSync(tmp, recordFile(dir));
}

function readRecord(ctx: RuntimeContext, id: string): ContainerRecord {
  const dir = containerDir(ctx, id);
  try {
    return JSON.parse(fs.readFileSync(recordFile(dir), 'utf8')) as ContainerRecord;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) throw ociError('ERR_OCI_CONTAINER_NOT_FOUND', `container "${id}" does not exist`);
    throw error;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks) and the state letter, or undefined. */
function processStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined, start: string | undefined): boolean {
  if (!pid) return false;
  const stat = processStat(pid);
  return stat !== undefined && stat.start === start && stat.state !== 'Z' && stat.state !== 'X';
}

function statusOf(record: ContainerRecord, files: ContainerFiles): OciStatus {
  if (record.phase === 'creating') return 'creating';
  if (!alive(record.pid, record.pidStart)) return 'stopped';
  return fs.existsSync(files.fifo) ? 'created' : 'running';
}

function stateOf(record: ContainerRecord, status: OciStatus): OciState {
  return {
    ociVersion: OCI_VERSION,
    id: record.id,
    status,
    pid: status === 'stopped' ? 0 : (record.pid ?? 0),
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: '',
    annotations: record.annotations,
  };
}

export function containerState(ctx: RuntimeContext, id: string): OciState {
  const record = readRecord(ctx, id);
  return stateOf(record, statusOf(record, containerFiles(containerDir(ctx, id))));
}

export function listContainers(ctx: RuntimeContext): OciState[] {
  let names: string[];
  try {
    names = fs.readdirSync(ctx.root);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return [];
    throw error;
  }
  const out: OciState[] = [];
  for (const name of names.sort()) {
    if (!ID_PATTERN.test(name) || !fs.existsSync(recordFile(path.join(ctx.root, name)))) continue;
    out.push(containerState(ctx, name));
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CreateRequest {
  id: string;
  bundle: string;
  pidFile?: string;
  /** A unix socket that receives the terminal's master (process.terminal). */
  consoleSocket?: string;
  notes: string[];
}

function readConfig(bundle: string): OciRuntimeConfig {
  const file = path.join(bundle, 'config.json');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new RktError('usage', 'ERR_OCI_BUNDLE_INVALID', `cannot read ${file}: ${(error as Error).message}`, { hint: 'a bundle is a directory with config.json and the root filesystem it names' });
  }
  try {
    return parseJsonDocument(bytes, ociRuntimeConfigSchema, file);
  } catch (error) {
    if (error instanceof RktError) throw new RktError('usage', 'ERR_OCI_CONFIG_INVALID', error.message);
    throw error;
  }
}

/** Removes what create made: cgroups and the state directory. */
function discard(dir: string, cgroups: readonly string[]): void {
  try {
    removeCgroups(cgroups);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function createContainer(ctx: RuntimeContext, request: CreateRequest): Promise<OciState> {
  const dir = containerDir(ctx, request.id);
  const bundle = path.resolve(request.bundle);
  const config = readConfig(bundle);
  const helper = findStage1Helper();
  fs.mkdirSync(ctx.root, { recursive: true, mode: 0o700 });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (isErrnoException(error, 'EEXIST')) throw ociError('ERR_OCI_CONTAINER_EXISTS', `container "${request.id}" already exists`, 'delete it first, or choose another id');
    throw error;
  }
  const files = containerFiles(dir);
  const record: ContainerRecord = {
    id: request.id,
    bundle,
    rootfs: path.resolve(bundle, config.root.path),
    created: new Date().toISOString(),
    annotations: config.annotations ?? {},
    phase: 'creating',
    cgroupsCreated: [],
    cgroupDirs: [],
    hooks: { startContainer: config.hooks?.startContainer ?? [], poststart: config.hooks?.poststart ?? [], poststop: config.hooks?.poststop ?? [] },
  };
  let lockFd: number | undefined;
  try {
    writeRecord(dir, record);
    lockFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    flockFd(lockFd, 'exclusive', false);
    fs.mkdirSync(files.statusDir, { mode: 0o700 });
    fs.mkdirSync(files.pidsDir, { mode: 0o700 });
    mknodFifo(files.fifo, 0o600);
    if (hasCreateHooks(config)) mknodFifo(files.pause, 0o600);
    const built = buildOciPlan({ id: request.id, bundle, config, files, lockFd: HELPER_LOCK_FD, ...(request.consoleSocket === undefined ? {} : { consoleSocket: request.consoleSocket }), notes: request.notes });
    record.cgroupsCreated = built.cgroupsCreated;
    record.cgroupDirs = built.cgroupDirs;
    writeRecord(dir, record);
    fs.writeFileSync(files.plan, serializePlan(built.plan), { mode: 0o600 });
    // exec's starting point: the container process's isolation, without what only its own start
    // takes (the root and namespaces it made are entered; its FIFO and hooks are done), its
    // terminal and its umask (an exec'd process has its own, from its process.json)
    const app: Partial<AppPlan> = { ...built.plan.apps[0]! };
    for (const key of ['root', 'waitFifo', 'startHooks', 'ownCgroupNamespace', 'consoleSocket', 'consoleSize', 'umask'] as const) delete app[key];
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(app), { mode: 0o600 });
  } catch (error) {
    if (lockFd !== undefined) fs.closeSync(lockFd);
    discard(dir, record.cgroupsCreated);
    throw error;
  }

  // Its own session, so that the caller's terminal signals do not reach it; stdio inherited, but
  // with a terminal, where the program's stdio is the pty: then the helper holds none of the
  // caller's, whose pipes a caller (containerd's shim) reads to their end, as runc leaves them.
  const child = spawn(helper, ['run', files.plan], {
    detached: true,
    stdio: [...(request.consoleSocket === undefined ? (['inherit', 'inherit', 'inherit'] as const) : (['ignore', 'ignore', 'ignore'] as const)), lockFd],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  fs.closeSync(lockFd);
  let exited: number | null = null;
  child.on('exit', (code, signal) => (exited = code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  child.on('error', () => (exited = 254));
  /** The helper's failure (or another one) ends create: nothing of the container is left. */
  const fail = async (error: RktError): Promise<never> => {
    if (exited === null) child.kill('SIGKILL');
    await stopProcesses(record, files, true);
    discard(dir, record.cgroupsCreated);
    throw error;
  };
  const pidFile = path.join(dir, 'pid');
  const reach = async (marker: string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(marker) || !fs.existsSync(pidFile)) {
      if (exited !== null || Date.now() > deadline) {
        const failure = readStage1Failure(files.errorFile);
        const why = failure ? failure.message : exited === null ? 'the container did not get ready within 60 s' : `the stage1 helper exited with status ${exited}`;
        await fail(new RktError('stage1', 'ERR_OCI_CREATE_FAILED', `create ${request.id}: ${why}`));
      }
      await sleep(5);
    }
  };

  const paused = hasCreateHooks(config);
  await reach(paused ? files.paused : files.created);
  // the container process: PID 1's child (with pause-fifo it waits before pivot_root, else on exec.fifo)
  const pid1 = Number(fs.readFileSync(pidFile, 'utf8').trim());
  const pid = Number(fs.readFileSync(`/proc/${pid1}/task/${pid1}/children`, 'utf8').trim().split(' ')[0]);
  Object.assign(record, { pid, pidStart: processStat(pid)?.start, helperPid: child.pid, userNamespace: userNamespaceOf(pid) });
  writeRecord(dir, record);
  if (paused) {
    const creating = stateOf(record, 'creating');
    const failed =
      runRuntimeHooks(config.hooks?.prestart ?? [], creating, 'prestart') ??
      runRuntimeHooks(config.hooks?.createRuntime ?? [], creating, 'createRuntime') ??
      runContainerHooks(config.hooks?.createContainer ?? [], creating, { pid: pid1, ppid: child.pid!, startTime: BigInt(processStat(pid1)?.start ?? 0), dir, rootfs: record.rootfs });
    if (failed) await fail(ociError('ERR_OCI_HOOK_FAILED', failed));
    // PID 1 holds it open until it reads the byte, or is gone (then `reach` reports why)
    writeFifo(files.pause, '0');
    fs.rmSync(files.pause, { force: true });
    await reach(files.created);
  }
  child.unref();
  record.phase = 'created';
  writeRecord(dir, record);
  if (request.pidFile) {
    // The helper, not the container process: its exit status is the container's, and it is the
    // caller's (or a subreaper's, containerd's shim) child to wait for.
    writePidFile(request.pidFile, child.pid!);
  }
  return stateOf(record, 'created');
}

/** The uid and gid maps of PID's user namespace, when it is not rkt-oci's own. */
function userNamespaceOf(pid: number): UserNamespaceMaps | undefined {
  const [theirs, ours] = [fs.statSync(`/proc/${pid}/ns/user`), fs.statSync('/proc/self/ns/user')];
  if (theirs.ino === ours.ino && theirs.dev === ours.dev) return undefined;
  const ranges = (file: string) =>
    fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').trim().split('\n').map((line) => {
      const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
      return { inside: inside!, outside: outside!, count: count! };
    });
  return { uidMap: ranges('uid_map'), gidMap: ranges('gid_map') };
}

/** Writes to a FIFO the helper holds open; false when nobody has it open (the process is gone). */
function writeFifo(file: string, data: string): boolean {
  let probe: number;
  try {
    probe = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    if (isErrnoException(error, 'ENXIO') || isErrnoException(error, 'ENOENT')) return false;
    throw error;
  }
  // a reader is there: a blocking descriptor takes data of any length
  const fd = fs.openSync(file, fs.constants.O_WRONLY);
  fs.closeSync(probe);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Lets the created process go on: with startContainer hooks, the state line (the helper runs them
 * before the program, and a failure stops the container), else one byte. Returns once the program
 * has been exec'd, then runs the poststart hooks.
 */
export async function startContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const record = readRecord(ctx, id);
  const files = containerFiles(containerDir(ctx, id));
  const status = statusOf(record, files);
  if (status !== 'created') throw ociError('ERR_OCI_STATE', `cannot start container "${id}": it is ${status}, not created`);
  if (!writeFifo(files.fifo, record.hooks.startContainer.length > 0 ? `${JSON.stringify(stateOf(record, 'created'))}\n` : '0')) {
    throw ociError('ERR_OCI_STATE', `cannot start container "${id}": its process is gone`);
  }
  fs.rmSync(files.fifo, { force: true });
  const started = path.join(files.pidsDir, APP_NAME);
  while (!fs.existsSync(started)) {
    if (!alive(record.pid, record.pidStart)) {
      // it failed, or its program ran and ended already: the helper says which as it exits
      for (const deadline = Date.now() + 10_000; !helperExited(files) && Date.now() < deadline; ) await sleep(5);
      const failure = readStage1Failure(files.errorFile);
      if (failure) throw ociError(failure.what === 'hook' ? 'ERR_OCI_HOOK_FAILED' : 'ERR_OCI_START_FAILED', `start ${id}: ${failure.message}`);
      break;
    }
    await sleep(5);
  }
  for (const failed of runWarningHooks(record.hooks.poststart, stateOf(record, 'running'), 'poststart')) ctx.warn(failed);
}

/** The helper holds the container's lock until it exits (having written error.json, if it failed). */
function helperExited(files: ContainerFiles): boolean {
  const fd = fs.openSync(files.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    return flockFd(fd, 'exclusive', false);
  } finally {
    fs.closeSync(fd);
  }
}

/** SIGTERM, TERM, 15. */
export function parseSignal(text: string): number {
  if (/^[0-9]+$/.test(text)) {
    const number = Number(text);
    if (number >= 1 && number <= 64) return number;
  } else {
    const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
    const number = (os.constants.signals as Record<string, number>)[name];
    if (number !== undefined) return number;
  }
  throw new RktError('usage', 'ERR_OCI_SIGNAL_INVALID', `unknown signal "${text}"`, { hint: 'a name (TERM, SIGKILL) or a number' });
}

function cgroupPids(record: ContainerRecord): number[] {
  const pids = new Set<number>();
  for (const dir of record.cgroupDirs) {
    try {
      for (const line of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line.trim() !== '') pids.add(Number(line));
    } catch {
      // a controller's group may already be gone
    }
  }
  return [...pids];
}

function signalPid(pid: number, signal: number): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if (!isErrnoException(error, 'ESRCH')) throw error;
  }
}

export function killContainer(ctx: RuntimeContext, id: string, signal: number, all: boolean): void {
  const record = readRecord(ctx, id);
  const status = statusOf(record, containerFiles(containerDir(ctx, id)));
  // "container not running" is runc's wording, which containerd's shim takes for "already gone"
  if (status !== 'created' && status !== 'running') throw ociError('ERR_OCI_STATE', `cannot kill container "${id}": container not running (it is ${status})`, 'only a created or running container can be signalled');
  if (all) for (const pid of cgroupPids(record)) signalPid(pid, signal);
  signalPid(record.pid!, signal);
}

/** SIGKILL to the container process, everything in its cgroup and the helper; waits for them. */
async function stopProcesses(record: ContainerRecord, files: ContainerFiles, force: boolean): Promise<void> {
  if (force) {
    if (alive(record.pid, record.pidStart)) signalPid(record.pid!, 9);
    for (const pid of cgroupPids(record)) signalPid(pid, 9);
  }
  // The helper holds the container's lock until it exits; it goes when its process does.
  const deadline = Date.now() + 10_000;
  const fd = fs.openSync(files.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    while (!flockFd(fd, 'exclusive', false)) {
      if (Date.now() > deadline) {
        if (record.helperPid) signalPid(record.helperPid, 9);
        await sleep(50);
        break;
      }
      await sleep(10);
    }
  } finally {
    fs.closeSync(fd);
  }
  while (cgroupPids(record).length > 0 && Date.now() < deadline) await sleep(10);
}

export async function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): Promise<void> {
  const dir = containerDir(ctx, id);
  let record: ContainerRecord;
  try {
    record = readRecord(ctx, id);
  } catch (error) {
    // runc: `delete --force` of a container that does not exist (or whose create was cut short
    // before state.json) removes what is left and succeeds; containerd's shim cleanup relies on it.
    if (!force || !(error instanceof RktError) || error.code !== 'ERR_OCI_CONTAINER_NOT_FOUND') throw error;
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  const files = containerFiles(dir);
  const status = statusOf(record, files);
  if (status === 'running' && !force) {
    throw ociError('ERR_OCI_STATE', `cannot delete container "${id}": it is running`, 'stop it first (kill), or use delete --force');
  }
  await stopProcesses(record, files, status !== 'stopped');
  discard(dir, record.cgroupsCreated);
  for (const failed of runWarningHooks(record.hooks.poststop, stateOf(record, 'stopped'), 'poststop')) ctx.warn(failed);
}

export function containerPids(ctx: RuntimeContext, id: string): number[] {
  const record = readRecord(ctx, id);
  return cgroupPids(record).sort((a, b) => a - b);
}

export interface ExecRequest {
  id: string;
  /** runc's process.json (a runtime-spec `process`), or built from the command line. */
  process: OciProcess;
  detach: boolean;
  pidFile?: string;
  /** A unix socket that receives the terminal's master (process.terminal). */
  consoleSocket?: string;
  notes: string[];
}

/**
 * A second process in a created or running container, through the helper's `enter`: it joins the
 * container process's namespaces, root and cgroups (checked by PID, parent and start time through
 * a pinned /proc fd) and applies the container's seccomp program, with the new process's
 * arguments, environment, cwd, user, capabilities, no_new_privs and rlimits. The helper stays the
 * new process's parent outside the container, forwards TERM, INT, HUP and QUIT to it, and exits
 * with its status; `--pid-file` names the helper (as create's does).
 */
export async function execContainer(ctx: RuntimeContext, request: ExecRequest): Promise<number> {
  const record = readRecord(ctx, request.id);
  const dir = containerDir(ctx, request.id);
  const status = statusOf(record, containerFiles(dir));
  if (status !== 'created' && status !== 'running') throw ociError('ERR_OCI_STATE', `cannot exec in container "${request.id}": it is ${status}`);
  const proc = request.process;
  if (!proc.args || proc.args.length === 0) throw unsupported('process.args', 'must name a program');
  refuseUnappliedProcessFields(proc, 'exec', request.notes);
  const base = JSON.parse(fs.readFileSync(path.join(dir, 'app.json'), 'utf8')) as EnterPlan['app'];
  const caps = capabilitySets(proc, request.notes);
  const app: EnterPlan['app'] = {
    ...base,
    name: `${APP_NAME}-exec`,
    ...processFields(proc),
    ...seccompFields(base.seccompFile, proc),
    ...caps,
    ...(proc.rlimits === undefined ? {} : { rlimits: appRlimits(proc) }),
    ...consoleFields(proc, request.consoleSocket),
  };
  const ppid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim());
  const plan: EnterPlan = {
    pid: record.pid!, ppid, startTime: BigInt(record.pidStart!), ...(record.userNamespace ? { userNamespace: record.userNamespace } : {}), errorFd: EXEC_ERROR_FD, app,
  };
  // The plan and the helper's error file, both opened and unlinked: nothing is left behind.
  const planFd = openEnterPlan(dir, plan);
  const errorFile = path.join(dir, `exec-${process.pid}-${Date.now()}.error`);
  const errorFd = fs.openSync(errorFile, 'wx+', 0o600);
  fs.unlinkSync(errorFile);
  const failed = (): string | undefined => {
    const bytes = Buffer.alloc(fs.fstatSync(errorFd).size);
    const text = bytes.subarray(0, fs.readSync(errorFd, bytes, 0, bytes.length, 0)).toString('utf8');
    if (text === '') return undefined;
    try {
      return (JSON.parse(text) as { message: string }).message;
    } catch {
      return `the stage1 helper failed: ${text.slice(0, 200)}`;
    }
  };
  const failure = (message: string) => ociError('ERR_OCI_EXEC_FAILED', `exec in ${request.id}: ${message}`);
  // With a terminal the program's stdio is the pty: the helper gets none of the caller's, whose
  // pipes a caller (containerd's shim) reads to their end as runc's exec leaves them.
  const nullFd = app.consoleSocket === undefined ? undefined : fs.openSync('/dev/null', 'r+');
  const launch: HelperLaunch = {
    planFd, errorFd, stdio: nullFd === undefined ? [0, 1, 2] : [nullFd, nullFd, nullFd], ...(request.pidFile ? { pidFile: request.pidFile } : {}), failed, failure,
  };
  try {
    if (!request.detach) return await execForeground(launch);
    await execDetached(launch);
    return 0;
  } finally {
    fs.closeSync(errorFd);
    if (nullFd !== undefined) fs.closeSync(nullFd);
  }
}

/** How exec starts `rkt-stage1 enter`. */
interface HelperLaunch {
  /** The enter plan (fd 3 in the helper) and its error file (fd 4, EXEC_ERROR_FD); closed once passed. */
  planFd: number;
  errorFd: number;
  /** The helper's (and so the program's) stdin, stdout, stderr. */
  stdio: [number, number, number];
  pidFile?: string;
  /** The helper's failure (before the program runs) from its error file, never its exit status. */
  failed: () => string | undefined;
  failure: (message: string) => RktError;
}

async function execForeground(launch: HelperLaunch): Promise<number> {
  const child = spawn(findStage1Helper(), ['enter', '/proc/self/fd/3'], { stdio: [...launch.stdio, launch.planFd, launch.errorFd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  fs.closeSync(launch.planFd);
  if (launch.pidFile && child.pid) writePidFile(launch.pidFile, child.pid);
  // the caller's signals reach the helper (same process group), which passes them on
  const status = await new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
    child.on('error', () => resolve(255));
  });
  const message = launch.failed();
  if (message !== undefined) throw launch.failure(message);
  return status;
}

/**
 * Detached: the helper must not be reaped by rkt-oci, or a caller that is a subreaper (containerd's
 * shim, which waits for the pid file's process) would never see it exit. A shell starts it in the
 * background and becomes `cat`, which never waits: when rkt-oci closes cat's stdin, cat exits and
 * the helper, running or a zombie, passes to the subreaper with its exit status intact.
 *
 * Returns once the program runs (the helper's child has exec'd: its executable is no longer the
 * helper's), or the helper has exited; fails if the helper wrote its error file (a missing program
 * or working directory), so that the caller sees a failed exec, as runc reports one, rather than a
 * process that exits at once.
 */
async function execDetached(launch: HelperLaunch): Promise<void> {
  const helper = findStage1Helper();
  const holder = spawn('/bin/sh', ['-c', 'exec 8<&0; "$0" enter /proc/self/fd/3 <&5 >&6 2>&7 5<&- 6>&- 7>&- 8<&- & echo $!; exec 3<&- 4>&- 5<&- 6>&- 7>&- >/dev/null; exec cat <&8 8<&-', helper], {
    detached: true,
    stdio: ['pipe', 'pipe', 'inherit', launch.planFd, launch.errorFd, ...launch.stdio],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  fs.closeSync(launch.planFd);
  const helperPid = await new Promise<number>((resolve, reject) => {
    let text = '';
    holder.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    holder.on('error', reject);
    holder.on('exit', () => reject(launch.failure('/bin/sh could not start the stage1 helper')));
  });
  holder.stdout!.destroy();
  if (launch.pidFile) writePidFile(launch.pidFile, helperPid);
  const helperFile = fs.statSync(helper);
  const isHelper = (pid: number) => {
    try {
      const exe = fs.statSync(`/proc/${pid}/exe`);
      return exe.ino === helperFile.ino && exe.dev === helperFile.dev;
    } catch {
      return true; // not exec'd as far as can be told (a zombie has no executable)
    }
  };
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const stat = processStat(helperPid);
      if (!stat || stat.state === 'Z') {
        // exited without an error file: its status is the program's (even 254)
        const message = launch.failed();
        if (message !== undefined) throw launch.failure(message);
        return;
      }
      const child = firstChild(helperPid);
      if ((child !== undefined && !isHelper(child)) || Date.now() > deadline) return;
      await sleep(5);
    }
  } finally {
    holder.stdin!.end();
    holder.unref();
  }
}

function firstChild(pid: number): number | undefined {
  try {
    const first = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined; // gone meanwhile
  }
}

function writePidFile(file: string, pid: number): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, file);
}

/** The container's own `process` (from its bundle), the base of `exec ARGS…` as runc's is. */
export function containerProcess(ctx: RuntimeContext, id: string): OciProcess {
  const proc = readConfig(readRecord(ctx, id).bundle).process;
  if (!proc) throw unsupported('process', 'is required');
  return proc;
}
