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
 * Under --root/<id>/: state.json, plan, error.json, status/, exec.fifo, seccomp.bpf, pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { removeCgroups } from '../isolation/cgroups.js';
import { ociRuntimeConfigSchema, type OciHook, type OciProcess, type OciRuntimeConfig } from '../schema/oci-runtime-config.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import { findStage1Helper } from '../stage1/helper-binary.js';
import { readStage1Failure } from '../stage1/helper-error.js';
import { serializeEnterPlan, serializePlan, type AppPlan, type EnterPlan } from '../stage1/stage1-plan.js';
import { flockFd, mknodFifo } from '../sys/libc.js';
import { APP_NAME, appRlimits, buildOciPlan, capabilitySets, containerFiles, processFields, seccompFields, unsupported, type ContainerFiles } from './oci-plan.js';

/** The runtime-spec version the state documents follow. */
export const OCI_VERSION = '1.2.0';
const ID_PATTERN = /^[\w+.-]+$/;
/** The container process's lock fd in the helper: the first fd after stdio. */
const HELPER_LOCK_FD = 3;

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
  hooks: { poststart: OciHook[]; poststop: OciHook[] };
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

/**
 * Runs hooks in order with the state on stdin; returns the failures' messages. `untilFailure`
 * (prestart, createRuntime): the first failure stops the rest, as it fails `create`; otherwise
 * (poststart, poststop) every hook runs, since a failure there is only a warning.
 */
function runHooks(hooks: readonly OciHook[], state: OciState, kind: string, untilFailure: boolean): string[] {
  const failures: string[] = [];
  for (const hook of hooks) {
    const args = hook.args ?? [hook.path];
    const env = Object.fromEntries((hook.env ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    const result = spawnSync(hook.path, args.slice(1), {
      argv0: args[0] ?? hook.path,
      env,
      input: JSON.stringify(state),
      stdio: ['pipe', 'inherit', 'pipe'],
      ...(hook.timeout === undefined ? {} : { timeout: hook.timeout * 1000 }),
    });
    // EPIPE: the hook exited without reading the state; its exit status tells whether it failed
    const error = isErrnoException(result.error, 'EPIPE') && result.status !== null ? undefined : result.error;
    if (error || result.status !== 0) {
      const why = error ? error.message : result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`;
      failures.push(`${kind} hook ${hook.path} failed: ${why}${result.stderr?.length ? `: ${result.stderr.toString().trim()}` : ''}`);
      if (untilFailure) break;
    }
  }
  return failures;
}

export interface CreateRequest {
  id: string;
  bundle: string;
  pidFile?: string;
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
    hooks: { poststart: config.hooks?.poststart ?? [], poststop: config.hooks?.poststop ?? [] },
  };
  let lockFd: number | undefined;
  try {
    writeRecord(dir, record);
    lockFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    flockFd(lockFd, 'exclusive', false);
    fs.mkdirSync(files.statusDir, { mode: 0o700 });
    mknodFifo(files.fifo, 0o600);
    const built = buildOciPlan({ id: request.id, bundle, config, files, lockFd: HELPER_LOCK_FD, notes: request.notes });
    record.cgroupsCreated = built.cgroupsCreated;
    record.cgroupDirs = built.cgroupDirs;
    writeRecord(dir, record);
    fs.writeFileSync(files.plan, serializePlan(built.plan), { mode: 0o600 });
    // exec's starting point: the container process's isolation, without its start FIFO
    const app: Partial<AppPlan> = { ...built.plan.apps[0]! };
    delete app.waitFifo;
    delete app.root;
    // exec joins the container process's cgroup namespace, as all its others
    delete app.ownCgroupNamespace;
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(app), { mode: 0o600 });
  } catch (error) {
    if (lockFd !== undefined) fs.closeSync(lockFd);
    discard(dir, record.cgroupsCreated);
    throw error;
  }

  // Its own session, so that the caller's terminal signals do not reach it; stdio inherited.
  const child = spawn(helper, ['run', files.plan], {
    detached: true,
    stdio: ['inherit', 'inherit', 'inherit', lockFd],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  fs.closeSync(lockFd);
  let exited: number | null = null;
  child.on('exit', (code, signal) => (exited = code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  child.on('error', () => (exited = 254));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(files.created)) {
    if (exited !== null || Date.now() > deadline) {
      if (exited === null) child.kill('SIGKILL');
      const failure = readStage1Failure(files.errorFile);
      discard(dir, record.cgroupsCreated);
      throw new RktError('stage1', 'ERR_OCI_CREATE_FAILED', `create ${request.id}: ${failure ? failure.message : exited === null ? 'the container did not get ready within 60 s' : `the stage1 helper exited with status ${exited}`}`);
    }
    await sleep(5);
  }
  child.unref();
  const pid1 = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim());
  const pid = Number(fs.readFileSync(`/proc/${pid1}/task/${pid1}/children`, 'utf8').trim().split(' ')[0]);
  Object.assign(record, { phase: 'created', pid, pidStart: processStat(pid)?.start, helperPid: child.pid });
  writeRecord(dir, record);
  if (request.pidFile) {
    // The helper, not the container process: its exit status is the container's, and it is the
    // caller's (or a subreaper's, containerd's shim) child to wait for.
    const tmp = `${request.pidFile}.tmp`;
    fs.writeFileSync(tmp, String(child.pid));
    fs.renameSync(tmp, request.pidFile);
  }
  const state = stateOf(record, 'created');
  const [failed] = runHooks([...(config.hooks?.prestart ?? []), ...(config.hooks?.createRuntime ?? [])], state, 'createRuntime', true);
  if (failed) {
    await stopProcesses(record, files, true);
    discard(dir, record.cgroupsCreated);
    throw ociError('ERR_OCI_HOOK_FAILED', failed);
  }
  return state;
}

export function startContainer(ctx: RuntimeContext, id: string): void {
  const record = readRecord(ctx, id);
  const files = containerFiles(containerDir(ctx, id));
  const status = statusOf(record, files);
  if (status !== 'created') throw ociError('ERR_OCI_STATE', `cannot start container "${id}": it is ${status}, not created`);
  let fd: number;
  try {
    fd = fs.openSync(files.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    if (isErrnoException(error, 'ENXIO')) throw ociError('ERR_OCI_STATE', `cannot start container "${id}": its process is gone`);
    throw error;
  }
  try {
    fs.writeSync(fd, '0');
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(files.fifo, { force: true });
  for (const failed of runHooks(record.hooks.poststart, stateOf(record, 'running'), 'poststart', false)) ctx.warn(failed);
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
  for (const failed of runHooks(record.hooks.poststop, stateOf(record, 'stopped'), 'poststop', false)) ctx.warn(failed);
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
  if (proc.terminal) throw unsupported('process.terminal', '(a console through --console-socket) is not supported yet');
  if (proc.apparmorProfile) throw unsupported('process.apparmorProfile', '(AppArmor) is not supported');
  if (proc.selinuxLabel) throw unsupported('process.selinuxLabel', '(SELinux) is not supported');
  const base = JSON.parse(fs.readFileSync(path.join(dir, 'app.json'), 'utf8')) as EnterPlan['app'];
  const caps = capabilitySets(proc, request.notes);
  const app: EnterPlan['app'] = {
    ...base,
    name: `${APP_NAME}-exec`,
    ...processFields(proc),
    ...seccompFields(base.seccompFile, proc),
    ...caps,
    ...(proc.rlimits === undefined ? {} : { rlimits: appRlimits(proc) }),
  };
  const ppid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim());
  const plan: EnterPlan = { pid: record.pid!, ppid, startTime: BigInt(record.pidStart!), app };
  const planFile = path.join(dir, `exec-${process.pid}-${Date.now()}.plan`);
  const planFd = fs.openSync(planFile, 'wx+', 0o600);
  try {
    fs.writeFileSync(planFd, serializeEnterPlan(plan));
  } finally {
    fs.unlinkSync(planFile);
  }
  if (!request.detach) {
    const child = spawn(findStage1Helper(), ['enter', '/proc/self/fd/3'], { stdio: ['inherit', 'inherit', 'inherit', planFd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    fs.closeSync(planFd);
    if (request.pidFile && child.pid) writePidFile(request.pidFile, child.pid);
    // the caller's signals reach the helper (same process group), which passes them on
    return new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
      child.on('error', () => resolve(255));
    });
  }
  // Detached: the helper must not be reaped by rkt-oci, or a caller that is a subreaper (containerd's
  // shim, which waits for the pid file's process) would never see it exit. A shell starts it in the
  // background and becomes `cat`, which never waits: when rkt-oci closes cat's stdin, cat exits and
  // the helper, running or a zombie, passes to the subreaper with its exit status intact.
  const holder = spawn('/bin/sh', ['-c', 'exec 6<&0; "$0" enter /proc/self/fd/3 <&4 >&5 4<&- 5>&- 6<&- & echo $!; exec 3<&- 4<&- 5>&- >/dev/null; exec cat <&6 6<&-', findStage1Helper()], {
    detached: true,
    stdio: ['pipe', 'pipe', 'inherit', planFd, 0, 1],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  fs.closeSync(planFd);
  const helperPid = await new Promise<number>((resolve, reject) => {
    let text = '';
    holder.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    holder.on('error', reject);
    holder.on('exit', () => reject(ociError('ERR_OCI_EXEC_FAILED', `exec in ${request.id}: /bin/sh could not start the stage1 helper`)));
  });
  holder.stdout!.destroy();
  if (request.pidFile) writePidFile(request.pidFile, helperPid);
  // Return once the helper has forked the process into the container, or has exited: with 254 (its
  // own failures: the process gone, a plan refused, the program not executable) exec fails, as
  // runc's does when the program cannot start; any other status is the program's.
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${helperPid}/task/${helperPid}/children`, 'utf8').trim();
      } catch {
        // a zombie has none
      }
      const stat = processStat(helperPid);
      if (!stat || stat.state === 'Z') {
        if (helperExitCode(helperPid) === 254) throw ociError('ERR_OCI_EXEC_FAILED', `exec in ${request.id}: the stage1 helper failed (exit status 254; its message is above)`);
        break;
      }
      if (children !== '' || Date.now() > deadline) break;
      await sleep(5);
    }
  } finally {
    holder.stdin!.end();
    holder.unref();
  }
  return 0;
}

function writePidFile(file: string, pid: number): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, file);
}

/** A zombie's exit status from field 52 of /proc/PID/stat (the wait status, as waitpid gives it). */
function helperExitCode(pid: number): number | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const status = Number(fields[49]);
    return (status & 0x7f) === 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
  } catch {
    return undefined;
  }
}

/** The container's own `process` (from its bundle), the base of `exec ARGS…` as runc's is. */
export function containerProcess(ctx: RuntimeContext, id: string): OciProcess {
  const proc = readConfig(readRecord(ctx, id).bundle).process;
  if (!proc) throw unsupported('process', 'is required');
  return proc;
}
