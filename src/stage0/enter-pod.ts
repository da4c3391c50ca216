/**
 * `rkt enter`: a command run inside a running app with exactly the app's isolation, never less
 * (rkt's CVE-2019-10144/10145/10147 were an enter without the bounding set, seccomp and cgroups).
 *
 * stage0 finds the app's process and builds an enter plan from the pod's spec and launch record
 * with the same isolation function the launch used (`appIsolation`); the stage1 helper
 * (`rkt-stage1 enter`) joins the process's namespaces, root and cgroups and applies the rest.
 *
 * Finding the process: the pod's PID 1 records each app's PID as the pod sees it in `pids/<app>`
 * once the app has exec'd. Its host PID is the child of the pod's PID 1 (host PID in `pid`,
 * trusted while the pod's lock is held, as `rkt stop` does) whose innermost `NSpid` is that PID.
 * The helper is given the host PID, its parent and its start time, and checks all three again
 * through a /proc/PID fd that pins the process, so a PID reused in between is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { podPaths } from '../pod/pod-paths.js';
import { PodStore, type PodRef } from '../pod/pod-store.js';
import { execStage1Enter, findStage1Helper } from '../stage1/helper-binary.js';
import { serializeEnterPlan, type EnterPlan } from '../stage1/stage1-plan.js';
import { userRangeMaps } from '../isolation/private-users.js';
import { appIsolation } from './app-isolation.js';
import { readLaunchRecord } from './launch-record.js';
import { readPodSpec, type SpecApp } from './prepare-pod.js';

/** rkt used /bin/bash; images without bash are common, so rkt-ts uses /bin/sh. */
export const DEFAULT_ENTER_COMMAND = '/bin/sh';

/** How long enter waits for a pod that has just started to record its PIDs. */
const START_WAIT_MS = 5_000;

export interface EnterRequest {
  dataDir: string;
  uuid: string;
  app?: string;
  /** Empty: DEFAULT_ENTER_COMMAND. */
  command: string[];
}

export interface PreparedEnter {
  uuid: string;
  app: string;
  helper: string;
  /** An fd on the (already unlinked) enter plan, for the helper to read as /proc/self/fd/N. */
  planFd: number;
}

interface AppProcess {
  pid: number;
  ppid: number;
  startTime: bigint;
}

function notRunning(store: PodStore, pod: PodRef): RktError {
  return new RktError('pod', 'ERR_POD_NOT_RUNNING', `pod ${pod.uuid} is ${store.state(pod)}, not running`, { hint: 'rkt enter needs a running pod' });
}

function pickApp(uuid: string, apps: SpecApp[], name: string | undefined): SpecApp {
  const names = apps.map((app) => app.name);
  if (name === undefined) {
    if (apps.length !== 1) {
      throw new RktError('usage', 'ERR_ENTER_APP_REQUIRED', `pod ${uuid} has ${apps.length} apps; name one with --app`, { hint: `its apps: ${names.join(', ')}` });
    }
    return apps[0]!;
  }
  const app = apps.find((candidate) => candidate.name === name);
  if (!app) throw new RktError('usage', 'ERR_ENTER_APP_UNKNOWN', `pod ${uuid} has no app "${name}"`, { hint: `its apps: ${names.join(', ')}` });
  return app;
}

function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'ESRCH')) return undefined;
    throw error;
  }
}

function readPidFile(file: string, what: string, uuid: string): number {
  const text = fs.readFileSync(file, 'utf8');
  if (!/^[1-9][0-9]*\n$/.test(text)) throw new RktError('pod', 'ERR_POD_PID_INVALID', `pod ${uuid}: ${what} ${file} does not hold a PID`);
  return Number(text.trim());
}

/** ppid (field 4) and start time (field 22) from /proc/PID/stat; undefined when the process is gone. */
function procStat(pid: number): { ppid: number; startTime: bigint } | undefined {
  const text = readOptional(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // the command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), startTime: BigInt(fields[19] ?? '0') };
}

/** The innermost PID of a process (its PID in its own PID namespace), from NSpid. */
function innermostPid(pid: number): number | undefined {
  const line = readOptional(`/proc/${pid}/status`)?.split('\n').find((entry) => entry.startsWith('NSpid:'));
  const ids = line?.slice('NSpid:'.length).trim().split(/\s+/);
  return ids && ids.length > 0 ? Number(ids[ids.length - 1]) : undefined;
}

function childrenOf(pid: number): number[] {
  const list = readOptional(`/proc/${pid}/task/${pid}/children`);
  if (list !== undefined) return list.trim().split(/\s+/).filter(Boolean).map(Number);
  // kernels without CONFIG_PROC_CHILDREN: every process whose parent it is
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((candidate) => procStat(candidate)?.ppid === pid);
}

async function findAppProcess(store: PodStore, pod: PodRef, app: string): Promise<AppProcess> {
  const files = podPaths(pod.path);
  const exited = () => fs.existsSync(path.join(files.statusDir, app));
  const appPidFile = path.join(files.pidsDir, app);
  for (const deadline = Date.now() + START_WAIT_MS; ; ) {
    if (!store.isLocked(pod)) throw notRunning(store, pod);
    if (exited()) throw new RktError('pod', 'ERR_ENTER_APP_EXITED', `app "${app}" of pod ${pod.uuid} has exited`);
    if (fs.existsSync(files.pid) && fs.existsSync(appPidFile)) break;
    if (Date.now() > deadline) {
      throw new RktError('pod', 'ERR_ENTER_APP_NOT_FOUND', `app "${app}" of pod ${pod.uuid} has not started (no ${appPidFile})`, {
        hint: 'a pod started by an older rkt does not record its apps\' PIDs; otherwise try again when the app runs',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ppid = readPidFile(files.pid, 'its pid file', pod.uuid);
  const inner = readPidFile(appPidFile, 'the app\'s pid file', pod.uuid);
  const parent = procStat(ppid);
  const found = parent && childrenOf(ppid).find((pid) => innermostPid(pid) === inner);
  const stat = found === undefined ? undefined : procStat(found);
  // the PIDs are trusted only while the lock is held and the app has not been reaped
  if (!store.isLocked(pod)) throw notRunning(store, pod);
  if (exited()) throw new RktError('pod', 'ERR_ENTER_APP_EXITED', `app "${app}" of pod ${pod.uuid} has exited`);
  if (!parent || found === undefined || !stat || stat.ppid !== ppid || stat.startTime < parent.startTime) {
    throw new RktError('pod', 'ERR_ENTER_APP_NOT_FOUND', `app "${app}" of pod ${pod.uuid}: no child of the pod's PID 1 (${ppid}) has PID ${inner} in the pod`);
  }
  return { pid: found, ppid, startTime: stat.startTime };
}

/** The seccomp program the app was started with must be the one its isolation gives now. */
function seccompFileFor(pod: PodRef, app: string, program: Buffer | undefined): string | undefined {
  const file = podPaths(pod.path).seccompProgram(app);
  const onDisk = readOptional(file) === undefined ? undefined : fs.readFileSync(file);
  if (program === undefined && onDisk === undefined) return undefined;
  if (program === undefined || onDisk === undefined || !program.equals(onDisk)) {
    throw new RktError('pod', 'ERR_ENTER_ISOLATION_MISMATCH', `app "${app}" of pod ${pod.uuid}: its seccomp program ${file} is not the one rkt would give it now`, {
      hint: 'the pod was started by another version of rkt, or its files were changed; enter refuses to guess',
    });
  }
  return file;
}

export async function prepareEnter(request: EnterRequest): Promise<PreparedEnter> {
  const helper = findStage1Helper();
  const store = new PodStore(request.dataDir);
  const pod = store.find(request.uuid);
  if (pod.dir !== 'run' || !store.isLocked(pod)) throw notRunning(store, pod);
  const files = podPaths(pod.path);
  const spec = readPodSpec(pod.path);
  const app = pickApp(pod.uuid, spec.apps, request.app);
  const launch = readLaunchRecord(files.launch, pod.uuid);
  const target = await findAppProcess(store, pod, app.name);
  const { plan: isolation, seccompProgram } = appIsolation(app, new Set(launch.insecure), launch.cgroups[app.name] ?? []);
  const seccompFile = seccompFileFor(pod, app.name, seccompProgram);
  const command = request.command.length > 0 ? request.command : [DEFAULT_ENTER_COMMAND];
  const plan: EnterPlan = {
    ...target,
    ...(launch.privateUsers ? { userNamespace: userRangeMaps(launch.privateUsers) } : {}),
    app: {
      name: app.name,
      exec: command[0]!,
      argv: command,
      env: app.env,
      cwd: app.cwd,
      uid: app.uid,
      gid: app.gid,
      groups: app.groups,
      ...isolation,
      ...(seccompFile === undefined ? {} : { seccompFile }),
    },
  };
  // written, opened and unlinked at once: the helper reads it through the fd, nothing is left over
  const planFile = path.join(path.dirname(files.plan), `enter-${process.pid}-${Date.now()}.plan`);
  const planFd = fs.openSync(planFile, 'wx+', 0o600);
  try {
    fs.writeFileSync(planFd, serializeEnterPlan(plan));
  } finally {
    fs.unlinkSync(planFile);
  }
  return { uuid: pod.uuid, app: app.name, helper, planFd };
}

/** From here on this process is the helper, and its exit status the command's. */
export function launchEnter(prepared: PreparedEnter): never {
  return execStage1Enter(prepared.helper, prepared.planFd);
}
