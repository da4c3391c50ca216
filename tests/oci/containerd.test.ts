/**
 * rkt-oci under containerd: a containerd of the test's own (root, state and sockets in a temp
 * dir, no systemd), an image imported with `ctr images import`, and `ctr run` through the runc v2
 * shim with `--runc-binary dist/rkt-oci`. The shim drives rkt-oci exactly as it drives runc
 * (`--root`, `--log`, `--log-format json`, `create --bundle --pid-file`, `start`, `state`, `kill`,
 * `delete`), reads the pid file and waits for that process.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { RKT_OCI } from '../support/oci-bundle.js';
import { parseProbeReport } from '../support/probe-report.js';
import { runCommand, type RktResult } from '../support/run-rkt.js';

const NAMESPACE = 'test';
const IMAGE = 'docker.io/rkt-test/busybox:latest';
const EXIT3 = 'docker.io/rkt-test/busybox:exit3';
/** Where the runc shim points `runc --root` when the task's options do not say (its default). */
const DEFAULT_RUNC_ROOT = path.join('/run/containerd/runc', NAMESPACE);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-ctd-'));
const socket = path.join(dir, 'containerd.sock');
const runcRoot = path.join(dir, 'rkt-oci');
const logFile = path.join(dir, 'containerd.log');
let containerd: ChildProcess | undefined;
const started: string[] = [];

function ctr(...args: string[]): Promise<RktResult> {
  return runCommand('ctr', ['-a', socket, '-n', NAMESPACE, ...args], { timeoutMs: 90_000 });
}

/** `ctr run` with the runc v2 shim and rkt-oci as its runc. */
function ctrRun(id: string, image: string, flags: string[], args: string[] = []): Promise<RktResult> {
  started.push(id);
  return ctr('run', ...flags, '--runtime', 'io.containerd.runc.v2', '--runc-binary', RKT_OCI, '--runc-root', runcRoot, image, id, ...args);
}

before(async () => {
  const config = [
    'version = 2',
    `root = ${JSON.stringify(path.join(dir, 'root'))}`,
    `state = ${JSON.stringify(path.join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = ${JSON.stringify(socket)}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.toml'), config);
  const log = fs.openSync(logFile, 'w');
  // rkt-oci is also the `runc` on containerd's (and so the shim's) PATH: see the --uidmap test
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.symlinkSync(RKT_OCI, path.join(dir, 'bin', 'runc'));
  const env = { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  containerd = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  const deadline = Date.now() + 20_000;
  while ((await ctr('version')).status !== 0) {
    if (Date.now() > deadline || containerd.exitCode !== null) throw new Error(`containerd did not start:\n${fs.readFileSync(logFile, 'utf8')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A docker archive of the test image (tags latest and exit3), made by skopeo from the OCI layout.
  const archive = path.join(dir, 'image.tar');
  const layout = busyboxLayout();
  execFileSync('skopeo', ['copy', `oci:${layout}:latest`, `docker-archive:${archive}:${IMAGE}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const imported = await ctr('images', 'import', archive);
  assert.equal(imported.status, 0, imported.stderr);
  fs.rmSync(archive);
  execFileSync('skopeo', ['copy', `oci:${layout}:exit3`, `docker-archive:${archive}:${EXIT3}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const importedExit3 = await ctr('images', 'import', archive);
  assert.equal(importedExit3.status, 0, importedExit3.stderr);
});

after(async () => {
  if (containerd && containerd.exitCode === null) {
    for (const id of started) {
      await ctr('task', 'delete', '--force', id);
      await ctr('containers', 'delete', id);
    }
    containerd.kill('SIGTERM');
    await new Promise((resolve) => containerd!.once('exit', resolve));
  }
  // containerd leaves its overlay snapshots mounted only while containers use them; unmount any left.
  for (const line of fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
    const target = line.split(' ')[1];
    if (target?.startsWith(dir)) execFileSync('umount', ['-l', target]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  // the shim's default runc root, which the --uidmap test's container used (empty by now)
  if (fs.existsSync(DEFAULT_RUNC_ROOT)) fs.rmdirSync(DEFAULT_RUNC_ROOT);
});

/** ctr task kill, then waits until ctr task ls shows the task stopped. */
async function killTask(id: string, signal: string): Promise<void> {
  assert.equal((await ctr('task', 'kill', '-s', signal, id)).status, 0);
  for (const deadline = Date.now() + 20_000; ; ) {
    const listed = await ctr('task', 'ls');
    if (new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, 'm').test(listed.stdout)) return;
    if (Date.now() > deadline) assert.fail(`the task ${id} did not stop: ${listed.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * ctr with a terminal of its own (`-t` needs one): script(1) runs it on a pty of 40 rows and 120
 * columns. Once `ready` says the container's process is there (ctr has put its terminal in raw
 * mode by then), `typed` is written to script's input, which ctr forwards to the container's
 * terminal. Resolves with what the terminal showed.
 */
async function ctrOnTerminal(args: string[], ready: () => Promise<boolean>, typed: string): Promise<RktResult> {
  const command = ['stty rows 40 cols 120;', 'exec', 'ctr', '-a', socket, '-n', NAMESPACE, ...args].map((word) => (word.endsWith(';') ? word : `'${word}'`)).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<RktResult>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  for (const deadline = Date.now() + 30_000; !(await ready()); ) {
    if (Date.now() > deadline || child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.stdin!.write(typed);
  const result = await exited;
  clearTimeout(timer);
  child.stdin!.destroy();
  return result;
}

/**
 * Errors rkt-oci reported to containerd (its messages start with "rkt-oci: "). The shim's cleanup
 * after a container is gone runs `delete --force`, which must succeed as runc's does. (containerd
 * 1.6's cleanup shim sometimes logs "exit status 255" with no output for a delete that exited 0 —
 * its reaper races the exec'd command; that is not rkt-oci's and is not counted.)
 */
function rktOciErrors(): string[] {
  return fs.readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('rkt-oci: ') || line.includes('level=error'));
}

test('ctr run --rm through the runc shim runs the program under rkt\'s supervisor', async () => {
  const result = await ctrRun('probe', IMAGE, ['--rm'], ['/bin/probe']);
  assert.equal(result.status, 0, `${result.stderr}\n${fs.readFileSync(logFile, 'utf8')}`);
  const report = JSON.parse(result.stdout) as { pid: number; ppid: number; argv: string[]; cgroup: string; ns: Record<string, string> };
  // runc makes the program PID 1; under rkt-oci the helper's supervisor is PID 1 and the program 2.
  assert.equal(report.pid, 2);
  assert.equal(report.ppid, 1);
  assert.deepEqual(report.argv, ['/bin/probe']);
  assert.match(report.cgroup, new RegExp(`/${NAMESPACE}/probe`), 'the cgroup containerd asked for');
  assert.ok(!fs.existsSync(path.join(runcRoot, NAMESPACE, 'probe')), 'the shim deleted the container from rkt-oci\'s root');
  assert.deepEqual(rktOciErrors(), []);
});

test('a detached task: rkt-oci holds its state, ctr task kill and delete go through it; exit status reaches ctr', async () => {
  const run = await ctrRun('sleeper', IMAGE, ['-d'], ['/bin/probe', 'sleep', '60']);
  assert.equal(run.status, 0, run.stderr);
  // The shim ran rkt-oci with --root <runc-root>/<namespace>: its state directory is there.
  const containerDir = path.join(runcRoot, NAMESPACE, 'sleeper');
  assert.ok(fs.existsSync(path.join(containerDir, 'plan')), 'rkt-oci wrote the stage1 plan');
  const state = await runCommand(RKT_OCI, ['--root', path.join(runcRoot, NAMESPACE), 'state', 'sleeper']);
  assert.equal(state.status, 0, state.stderr);
  const parsed = JSON.parse(state.stdout) as { status: string; pid: number };
  assert.equal(parsed.status, 'running');
  assert.ok(fs.readFileSync(`/proc/${parsed.pid}/cmdline`, 'utf8').startsWith('/bin/probe\0sleep'));

  const tasks = await ctr('task', 'ps', 'sleeper');
  assert.equal(tasks.status, 0, tasks.stderr);
  assert.match(tasks.stdout, new RegExp(`^${parsed.pid}\\b`, 'm'), 'ctr task ps lists the program (rkt-oci ps --format json)');

  await killTask('sleeper', 'TERM');
  assert.equal((await ctr('task', 'delete', 'sleeper')).status, 0);
  assert.ok(!fs.existsSync(containerDir), 'rkt-oci delete removed its state');
  assert.equal((await ctr('containers', 'delete', 'sleeper')).status, 0);

  const exit3 = await ctrRun('exit3', EXIT3, ['--rm']);
  assert.equal(exit3.status, 3, 'the program\'s exit status, through the helper the shim waited for');
  assert.deepEqual(rktOciErrors(), []);
});

test('ctr run --privileged: the host\'s devices, with /dev/ptmx the pts/ptmx symlink as runc makes it', async () => {
  const result = await ctrRun('privileged', IMAGE, ['--rm', '--privileged'], ['/bin/sh', '-c', 'readlink /dev/ptmx; test -c /dev/null && echo null-ok']);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), ['pts/ptmx', 'null-ok']);
  assert.deepEqual(rktOciErrors(), []);
});

test('ctr task exec: rkt-oci exec --process --detach --pid-file through the helper\'s enter', async () => {
  assert.equal((await ctrRun('execs', IMAGE, ['-d'], ['/bin/probe', 'sleep', '60'])).status, 0);
  const probe = await ctr('task', 'exec', '--exec-id', 'p1', 'execs', '/bin/probe');
  assert.equal(probe.status, 0, probe.stderr);
  const report = JSON.parse(probe.stdout) as { pid: number; ppid: number; argv: string[] };
  assert.deepEqual(report.argv, ['/bin/probe']);
  assert.equal(report.pid, 3, 'in the container\'s PID namespace, after its supervisor and program');
  assert.equal(report.ppid, 0, 'its parent, the helper, is outside');
  const status = await ctr('task', 'exec', '--exec-id', 'p2', 'execs', '/bin/sh', '-c', 'echo hi; exit 5');
  assert.equal(status.status, 5);
  assert.equal(status.stdout, 'hi\n');
  // The helper's failure before the program runs fails rkt-oci exec itself, with its reason, as
  // runc's does (not a process that exits 254 at once).
  const missing = await ctr('task', 'exec', '--exec-id', 'p3', 'execs', '/nonexistent');
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /OCI runtime exec failed: exec in execs: exec \/nonexistent: No such file or directory/);
  const own254 = await ctr('task', 'exec', '--exec-id', 'p4', 'execs', '/bin/sh', '-c', 'exit 254');
  assert.equal(own254.status, 254, 'a program\'s own 254 is its exit status, not a failed exec');
  await killTask('execs', 'KILL');
  assert.equal((await ctr('task', 'delete', 'execs')).status, 0);
  assert.equal((await ctr('containers', 'delete', 'execs')).status, 0);
});

test('ctr task exec --user 65534 --cwd /tmp: the user and working directory from containerd\'s process.json', async () => {
  // The test image has no /tmp (runc, too, refuses a working directory that does not exist): a
  // tmpfs from --mount provides it.
  const run = await ctrRun('users', IMAGE, ['-d', '--mount', 'type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777'], ['/bin/probe', 'sleep', '60']);
  assert.equal(run.status, 0, run.stderr);
  const probe = await ctr('task', 'exec', '--exec-id', 'u1', '--user', '65534', '--cwd', '/tmp', 'users', '/bin/probe', '--try-write', '/tmp/mine');
  assert.equal(probe.status, 0, probe.stderr);
  const report = JSON.parse(probe.stdout) as { uid: number; gid: number; groups: number[]; cwd: string; tries: Record<string, string> };
  assert.deepEqual([report.uid, report.gid, report.groups], [65534, 65534, [65534]], 'containerd looked 65534 up in the image\'s /etc/passwd');
  assert.equal(report.cwd, '/tmp');
  assert.equal(report.tries['/tmp/mine'], 'ok');
  const missing = await ctr('task', 'exec', '--exec-id', 'u2', '--cwd', '/nonexistent', 'users', '/bin/probe');
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /OCI runtime exec failed: exec in users: chdir \/nonexistent: No such file or directory/);
  await killTask('users', 'KILL');
  assert.equal((await ctr('task', 'delete', 'users')).status, 0);
  assert.equal((await ctr('containers', 'delete', 'users')).status, 0);
});

/** The window size of process PID's terminal (its stdin) is ctr's 40x120, seen from the host. */
async function resized(pid: number): Promise<boolean> {
  const size = await runCommand('stty', ['-F', `/proc/${pid}/fd/0`, 'size']);
  return size.status === 0 && size.stdout.trim() === '40 120';
}

test('ctr run -t and ctr task exec -t: the shim\'s console socket gets the pty; typing reaches the program, its size follows ctr\'s terminal', async () => {
  started.push('tty');
  // Ready once containerd has resized the pty, which ctr asks for after the task starts: typing
  // earlier would let the probe report the size before it (0x0 on a loaded machine).
  const runState = async () => {
    const state = await runCommand(RKT_OCI, ['--root', path.join(runcRoot, NAMESPACE), 'state', 'tty']);
    return state.stdout.includes('"running"') && (await resized((JSON.parse(state.stdout) as { pid: number }).pid));
  };
  const run = await ctrOnTerminal(['run', '-t', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-binary', RKT_OCI, '--runc-root', runcRoot, IMAGE, 'tty', '/bin/probe', '--read-line'], runState, 'hello ctr\n');
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^hello ctr\r+\n/, 'the container\'s terminal echoed what was typed');
  const report = parseProbeReport(run.stdout);
  assert.equal(report.line, 'hello ctr');
  // containerd resizes the pty (through the master rkt-oci sent it) to ctr's terminal
  assert.deepEqual(report.tty, { stdin: true, name: '/dev/pts/0', controlling: true, foreground: true, rows: 40, cols: 120 });
  assert.deepEqual(report.fds, [0, 1, 2]);

  assert.equal((await ctrRun('ttyexec', IMAGE, ['-d'], ['/bin/probe', 'sleep', '60'])).status, 0);
  const twoProcesses = async () => {
    const pids = (await ctr('task', 'ps', 'ttyexec')).stdout.trim().split('\n').slice(1).map((line) => Number(line.trim().split(/\s+/)[0]));
    return pids.length > 1 && (await resized(Math.max(...pids)));
  };
  const exec = await ctrOnTerminal(['task', 'exec', '-t', '--exec-id', 't1', 'ttyexec', '/bin/probe', '--read-line'], twoProcesses, 'hello exec\n');
  assert.equal(exec.status, 0, `${exec.stdout}\n${exec.stderr}`);
  const execReport = parseProbeReport(exec.stdout);
  assert.equal(execReport.line, 'hello exec');
  assert.deepEqual(execReport.tty, { stdin: true, name: '/dev/pts/0', controlling: true, foreground: true, rows: 40, cols: 120 });
  assert.equal(execReport.pid, 3);
  await killTask('ttyexec', 'KILL');
  assert.equal((await ctr('task', 'delete', 'ttyexec')).status, 0);
  assert.equal((await ctr('containers', 'delete', 'ttyexec')).status, 0);
});

test('ctr run --uidmap/--gidmap: the container in a user namespace with containerd\'s maps, on its remapped snapshot', async () => {
  const run = await ctrRun('mapped', IMAGE, ['-d', '--uidmap', '0:300000:65536', '--gidmap', '0:300000:65536'], ['/bin/probe', 'sleep', '60']);
  assert.equal(run.status, 0, run.stderr);
  // ctr 1.6 gives the task options of its own with --uidmap (the I/O owner), which replace the
  // container's runtime options and with them --runc-binary and --runc-root (containerd issue
  // 11568, fixed in 2.1): the shim runs the `runc` on its PATH with its default root. That is
  // rkt-oci here, as it is on a host that installs rkt-oci as runc.
  assert.ok(fs.existsSync(path.join(DEFAULT_RUNC_ROOT, 'mapped', 'plan')), 'rkt-oci made the container');
  const state = await runCommand(RKT_OCI, ['--root', DEFAULT_RUNC_ROOT, 'state', 'mapped']);
  assert.equal(state.status, 0, state.stderr);
  const { pid } = JSON.parse(state.stdout) as { pid: number };
  assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+300000\s+300000\s/m, 'root inside is host uid 300000');

  const exec = await ctr('task', 'exec', '--exec-id', 'p', 'mapped', '/bin/probe', '--stat', '/bin/busybox', '--stat', '/run');
  assert.equal(exec.status, 0, exec.stderr);
  const report = parseProbeReport(exec.stdout);
  assert.equal(report.uidMap.trim().split(/\s+/).join(' '), '0 300000 65536');
  assert.equal(report.gidMap.trim().split(/\s+/).join(' '), '0 300000 65536');
  assert.equal(report.uid, 0);
  assert.equal(report.files['/bin/busybox']?.uid, 0, 'containerd chowned the snapshot to 300000: root\'s inside');
  assert.equal(report.files['/run']?.uid, 0, 'the tmpfs it mounts is the container root\'s');

  await killTask('mapped', 'KILL');
  assert.equal((await ctr('task', 'delete', 'mapped')).status, 0);
  assert.ok(!fs.existsSync(path.join(DEFAULT_RUNC_ROOT, 'mapped')), 'rkt-oci delete removed its state');
  assert.equal((await ctr('containers', 'delete', 'mapped')).status, 0);
  assert.deepEqual(rktOciErrors(), []);
});

test('ctr run --with-ns: a container joins a running task\'s network namespace by path (as a CRI pod\'s join its sandbox\'s)', async () => {
  assert.equal((await ctrRun('sandbox', IMAGE, ['-d'], ['/bin/probe', 'sleep', '60'])).status, 0);
  const sandbox = JSON.parse((await runCommand(RKT_OCI, ['--root', path.join(runcRoot, NAMESPACE), 'state', 'sandbox'])).stdout) as { pid: number };
  const joined = await ctrRun('joiner', IMAGE, ['--rm', '--with-ns', `network:/proc/${sandbox.pid}/ns/net`], ['/bin/probe']);
  assert.equal(joined.status, 0, joined.stderr);
  const report = parseProbeReport(joined.stdout);
  assert.equal(report.ns.net, fs.readlinkSync(`/proc/${sandbox.pid}/ns/net`));
  assert.notEqual(report.ns.ipc, fs.readlinkSync(`/proc/${sandbox.pid}/ns/ipc`), 'only the network namespace is shared');
  await killTask('sandbox', 'KILL');
  assert.equal((await ctr('task', 'delete', 'sandbox')).status, 0);
  assert.equal((await ctr('containers', 'delete', 'sandbox')).status, 0);
  assert.deepEqual(rktOciErrors(), []);
});
