/**
 * `rkt enter`: the probe run through enter reports exactly what the app itself has (namespaces,
 * root, cgroups, capabilities, no_new_privs, seccomp, ids, environment, working directory), read
 * from the host in /proc/<app pid>; `--app` in a two-app pod; the errors; the exit status.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { serializeEnterPlan } from '../../src/stage1/stage1-plan.js';
import { busyboxLayout } from '../support/busybox-layout.js';
import { hostNamespaces } from '../support/host-state.js';
import { parseProbeReport, type ProbeReport } from '../support/probe-report.js';
import { REPO_ROOT } from '../support/project-paths.js';
import { runCommand, runRkt, startRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('enter');
const running: { uuid: string; child: ChildProcess; exited: Promise<number | null> }[] = [];

after(async () => {
  for (const pod of running) {
    await runRkt(dataDir, ['stop', '--force', pod.uuid]);
    await pod.exited;
  }
  removeDataDir(dataDir);
});

const image = () => `oci:${busyboxLayout()}:latest`;

/** Starts a pod whose apps sleep; resolves once every app has said it is ready. */
async function startPod(apps: string[][], podFlags: string[] = []): Promise<string> {
  const uuidFile = path.join(dataDir, `uuid-${running.length}`);
  const args = ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, ...podFlags];
  for (const app of apps) args.push(image(), '--exec=/bin/probe', ...app, '--', 'sleep', '60', '---');
  const child = startRkt(dataDir, args);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the pod did not get ready: ${stderr}`)), 30_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.split('probe: ready').length > apps.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('close', () => reject(new Error(`the pod exited early: ${stderr}`)));
  });
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  running.push({ uuid, child, exited });
  return uuid;
}

/** The host PID of an app: the child of the pod's PID 1 whose innermost PID is in pids/<app>. */
function appPid(uuid: string, app: string): number {
  const podDir = path.join(dataDir, 'pods', 'run', uuid);
  const pid1 = Number(fs.readFileSync(path.join(podDir, 'pid'), 'utf8'));
  const inner = fs.readFileSync(path.join(podDir, 'pids', app), 'utf8').trim();
  const children = fs.readFileSync(`/proc/${pid1}/task/${pid1}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const found = children.find((pid) => /^NSpid:.*\s(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] === inner);
  assert.ok(found, `no host PID for app ${app}`);
  return found;
}

interface HostView {
  ns: Record<string, string>;
  status: Record<string, string>;
  cgroup: string;
  env: Record<string, string>;
  nofile: string[];
}

/** What the app itself has, seen from the host. */
function hostView(pid: number): HostView {
  const ns: Record<string, string> = {};
  for (const name of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts', 'user']) ns[name] = fs.readlinkSync(`/proc/${pid}/ns/${name}`);
  const status: Record<string, string> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) status[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  const env: Record<string, string> = {};
  for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const nofile = /^Max open files\s+(\S+)\s+(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'))!.slice(1);
  return { ns, status, cgroup: fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), env, nofile };
}

/** `rkt enter [--app=NAME] UUID ARGS...`: the flags of enter come before the UUID, the command's after it. */
async function enter(uuid: string, ...args: string[]): Promise<ProbeReport> {
  const flags = args.filter((arg) => arg.startsWith('--app='));
  const result = await runRkt(dataDir, ['enter', ...flags, uuid, ...args.filter((arg) => !flags.includes(arg))]);
  assert.equal(result.status, 0, result.stderr);
  return parseProbeReport(result.stdout);
}

/** Everything the app has, the entered probe has too. */
function assertSameIsolation(entered: ProbeReport, app: HostView): void {
  assert.deepEqual(entered.ns, app.ns, 'the same namespaces');
  for (const name of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(entered.caps[name], app.status[name], name);
  assert.equal(String(entered.noNewPrivs), app.status.NoNewPrivs, 'NoNewPrivs');
  assert.equal(String(entered.seccomp), app.status.Seccomp, 'Seccomp mode');
  // the app's cgroup namespace is rooted at its own groups: inside, the same groups show as "/"
  assert.equal(entered.cgroup, app.cgroup.replace(/^(\d+:[^:]*:).*$/gm, '$1/'), 'the same cgroups');
  assert.deepEqual(entered.nofile, app.nofile, 'the same rlimits');
  assert.equal(entered.uid, Number(app.status.Uid!.split(/\s+/)[0]));
  assert.equal(entered.gid, Number(app.status.Gid!.split(/\s+/)[0]));
  assert.deepEqual(entered.groups, app.status.Groups === '' ? [] : app.status.Groups!.split(/\s+/).map(Number));
  assert.deepEqual(entered.env, app.env, 'the app\'s environment');
  assert.deepEqual(entered.fds, [0, 1, 2], 'only stdio reaches the command');
}

test('default isolation: the entered probe has the app\'s namespaces, root, cgroups, capabilities, seccomp, ids, env and cwd', async () => {
  const uuid = await startPod([['--name=app', '--working-dir=/srv', '--environment=ONLY_APP=1']]);
  const app = hostView(appPid(uuid, 'app'));
  const entered = await enter(uuid, '/bin/probe', '--stat', '/etc/debian_version', '--stat', '/bin/probe', '--stat', `/proc/${process.pid}`);
  assertSameIsolation(entered, app);
  assert.equal(app.status.Seccomp, '2', 'the app has a filter');
  assert.equal(app.status.NoNewPrivs, '1');
  assert.equal(entered.cwd, '/srv');
  assert.equal(entered.env.ONLY_APP, '1');
  const host = hostNamespaces();
  for (const name of ['pid', 'mnt', 'uts', 'ipc']) assert.notEqual(entered.ns[name], host[name], `${name} is not the host's`);
  assert.equal(entered.files['/bin/probe']?.exists, true, 'the app\'s root');
  assert.equal(entered.files['/etc/debian_version']?.exists, false, 'not the host\'s root');
  assert.equal(entered.files[`/proc/${process.pid}`]?.exists, false, 'host processes are not visible');
  assert.equal(entered.ppid, 0, 'its parent (rkt enter) is outside the pod\'s PID namespace');
});

test('--caps-remove and --seccomp: the entered command has the same sets and the same filter', async () => {
  const uuid = await startPod([['--name=app', '--caps-remove=CAP_NET_RAW,CAP_MKNOD', '--seccomp=mode=remove,errno=ENOTSUP,mkdir,mkdirat']]);
  const app = hostView(appPid(uuid, 'app'));
  const entered = await enter(uuid, '/bin/probe', '--try', 'mkdir', '--try', 'mknod-block');
  assertSameIsolation(entered, app);
  assert.equal(entered.caps.CapBnd, ((0xa80425fb & ~(2 ** 13) & ~(2 ** 27)) >>> 0).toString(16).padStart(16, '0'));
  assert.equal(entered.actions.mkdir, 'EOPNOTSUPP', 'the app\'s seccomp filter applies');
  assert.equal(entered.actions['mknod-block'], 'EPERM', 'CAP_MKNOD is not there');
});

test('--user, --group and --supplementary-gids: the entered command runs as the app\'s user, without capabilities', async () => {
  const uuid = await startPod([['--name=app', '--user=nobody', '--group=nogroup', '--supplementary-gids=4242']]);
  const app = hostView(appPid(uuid, 'app'));
  const entered = await enter(uuid, '/bin/probe');
  assertSameIsolation(entered, app);
  assert.equal(entered.uid, 65534);
  assert.equal(entered.gid, 65534);
  assert.deepEqual(entered.groups, [4242]);
  assert.equal(entered.caps.CapEff, '0000000000000000');
  assert.equal(entered.env.HOME, '/');
});

test('--insecure-options=seccomp,capabilities at launch is what enter gives too, not less and not more', async () => {
  const uuid = await startPod([['--name=app']], ['--insecure-options=image,seccomp,capabilities']);
  const app = hostView(appPid(uuid, 'app'));
  const entered = await enter(uuid, '/bin/probe');
  assertSameIsolation(entered, app);
  assert.equal(entered.seccomp, 0);
});

test('two apps: --app picks one (its own mount namespace and root); without it, or with an unknown one, enter fails', async () => {
  const uuid = await startPod([['--name=one', '--environment=WHICH=one'], ['--name=two', '--environment=WHICH=two']]);
  const one = hostView(appPid(uuid, 'one'));
  const two = hostView(appPid(uuid, 'two'));
  assert.notEqual(one.ns.mnt, two.ns.mnt, 'each app has its own mount namespace');

  const enteredTwo = await enter(uuid, '--app=two', '/bin/probe');
  assertSameIsolation(enteredTwo, two);
  assert.equal(enteredTwo.env.WHICH, 'two');

  // a file made in app one's root is not in app two's
  const made = await runRkt(dataDir, ['enter', '--app=one', uuid, '/bin/sh', '-c', 'echo x > /tmp/only-one']);
  assert.equal(made.status, 0, made.stderr);
  const inOne = await enter(uuid, '--app=one', '/bin/probe', '--stat', '/tmp/only-one');
  assert.equal(inOne.files['/tmp/only-one']?.exists, true);
  const inTwo = await enter(uuid, '--app=two', '/bin/probe', '--stat', '/tmp/only-one');
  assert.equal(inTwo.files['/tmp/only-one']?.exists, false);

  const noApp = await runRkt(dataDir, ['enter', uuid, '/bin/probe']);
  assert.equal(noApp.status, 254);
  assert.match(noApp.stderr, /has 2 apps; name one with --app/);
  const unknown = await runRkt(dataDir, ['enter', '--app=three', uuid, '/bin/probe']);
  assert.equal(unknown.status, 254);
  assert.match(unknown.stderr, /has no app "three"/);
});

test('the command\'s exit status is enter\'s (128+N for a signal); a failed exec is 254', async () => {
  const uuid = await startPod([['--name=app']]);
  const exit7 = await runRkt(dataDir, ['enter', uuid, '/bin/sh', '-c', 'exit 7']);
  assert.equal(exit7.status, 7, exit7.stderr);
  const killed = await runRkt(dataDir, ['enter', uuid, '/bin/probe', 'signal', '9']);
  assert.equal(killed.status, 137, killed.stderr);
  const missing = await runRkt(dataDir, ['enter', uuid, '/no/such/program']);
  assert.equal(missing.status, 254);
  assert.match(missing.stderr, /exec \/no\/such\/program: No such file or directory/);
  const shell = await runRkt(dataDir, ['enter', uuid]);
  assert.equal(shell.status, 0, shell.stderr);
  assert.match(shell.stderr, /no command specified, assuming \/bin\/sh/);
});

test('a pod that is not running cannot be entered', async () => {
  const uuidFile = path.join(dataDir, 'exited-uuid');
  const run = await runRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, image(), '--exec=/bin/true']);
  assert.equal(run.status, 0, run.stderr);
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  const result = await runRkt(dataDir, ['enter', uuid, '/bin/probe']);
  assert.equal(result.status, 254);
  assert.match(result.stderr, /is exited, not running/);
});

test('the helper refuses a process that is not the one stage0 found (a reused PID), and app-root in an enter plan', async () => {
  const uuid = await startPod([['--name=app']]);
  const pid = appPid(uuid, 'app');
  const ppid = Number(fs.readFileSync(path.join(dataDir, 'pods', 'run', uuid, 'pid'), 'utf8'));
  const app = { name: 'app', exec: '/bin/true', argv: ['/bin/true'], env: [], cwd: '/', uid: 0, gid: 0, groups: [] };
  const helper = path.join(REPO_ROOT, 'dist', 'rkt-stage1');
  const stale = path.join(dataDir, 'stale.plan');
  fs.writeFileSync(stale, serializeEnterPlan({ pid, ppid, startTime: 1n, app }));
  const refused = await runCommand(helper, ['enter', stale]);
  assert.equal(refused.status, 254);
  assert.match(refused.stderr, /no longer the app/);
  const withRoot = path.join(dataDir, 'root.plan');
  fs.writeFileSync(withRoot, serializeEnterPlan({ pid, ppid, startTime: 1n, app }).replace('\nexec ', '\napp-root /\nexec '));
  const bad = await runCommand(helper, ['enter', withRoot]);
  assert.equal(bad.status, 254);
  assert.match(bad.stderr, /not allowed in an enter plan: app-root/);
});

test('enter forwards SIGTERM to the command and leaves the pod as it was', async () => {
  const uuid = await startPod([['--name=app']]);
  const child = startRkt(dataDir, ['enter', uuid, '/bin/probe', 'sleep', '30']);
  const status = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve) => child.stderr.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('probe: ready') && resolve()));
  child.kill('SIGTERM');
  assert.equal(await status, 143, 'the command died of SIGTERM: 128+15');
  const podStatus = await runRkt(dataDir, ['status', uuid]);
  assert.match(podStatus.stdout, /^state=running$/m);
  assert.ok(!/stage1-error/.test(podStatus.stdout), 'enter never writes the pod\'s error file');
});
