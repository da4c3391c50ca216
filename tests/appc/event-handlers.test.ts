/**
 * appc event handlers, run as rkt ran them: `pre-start` to its end before the app's exec,
 * `post-stop` after the app has exited (or was stopped); both as root with the app's environment,
 * working directory, root filesystem and isolation. Looked at from inside with the probe (written
 * by each process to a shared host volume) and at the status files afterwards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildAci } from '../support/aci-builder.js';
import { GpgHome, type TestKey, trustKey } from '../support/gpg-keys.js';
import { mountsUnder } from '../support/host-state.js';
import type { ProbeReport } from '../support/probe-report.js';
import { runRkt, startRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('event-handlers');
const work = path.join(dataDir, 'work');
const local = path.join(dataDir, 'local-config');
const gpg = new GpgHome();
let key: TestKey;

const config = [`--system-config=${path.join(dataDir, 'system-config')}`, `--local-config=${local}`];
const rkt = (...args: string[]) => runRkt(dataDir, [...config, ...args]);

before(() => {
  fs.mkdirSync(work, { recursive: true });
  key = gpg.makeKey('Handlers <keys@example.com>');
  trustKey(local, 'example.com/handlers', key);
});
after(() => {
  gpg.remove();
  removeDataDir(dataDir);
});

/** Each process leaves its probe report (and a marker) in /data, a host volume. */
const probeTo = (name: string) => `/bin/probe > /data/${name}.json && echo ${name} >> /data/order`;

async function signedAci(name: string, app: Record<string, unknown>): Promise<string> {
  const file = path.join(work, `${name}.aci`);
  fs.writeFileSync(file, await buildAci({ name: `example.com/handlers/${name}`, busybox: true, app }));
  key.sign(file);
  return file;
}

/** A fresh host directory for /data, writable by the app's user; the run arguments that mount it. */
function dataVolume(label: string): { dir: string; args: string[] } {
  const dir = path.join(work, `data-${label}`);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o1777);
  fs.writeFileSync(path.join(dir, 'order'), '', { mode: 0o666 });
  fs.chmodSync(path.join(dir, 'order'), 0o666);
  return { dir, args: [`--volume=data,kind=host,source=${dir}`, '--mount=volume=data,target=/data'] };
}

/** A status file of an exited pod (in whichever state directory it is). */
function statusOf(uuid: string, name: string): string {
  const state = fs.readdirSync(path.join(dataDir, 'pods')).find((dir) => fs.existsSync(path.join(dataDir, 'pods', dir, uuid)));
  return fs.readFileSync(path.join(dataDir, 'pods', state!, uuid, 'status', name), 'utf8');
}

const report = (dir: string, name: string) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as ProbeReport;
const APP = { user: 'appuser', group: 'appgroup', workingDirectory: '/tmp', environment: [{ name: 'GREETING', value: 'from the image' }] };

test('pre-start runs to its end before the app, post-stop after it; both as root, with the app\'s environment, directory and isolation', async () => {
  const image = await signedAci('order', {
    ...APP,
    exec: ['/bin/sh', '-c', `${probeTo('main')} && exit 7`],
    eventHandlers: [
      { name: 'pre-start', exec: ['/bin/sh', '-c', `sleep 0.3; ${probeTo('pre-start')}`] },
      { name: 'post-stop', exec: ['/bin/sh', '-c', probeTo('post-stop')] },
    ],
  });
  const data = dataVolume('order');
  const uuidFile = path.join(work, 'order.uuid');
  const run = await rkt('run', ...data.args, `--uuid-file-save=${uuidFile}`, image);
  assert.equal(run.status, 7, `the app's status is the pod's: ${run.stderr}`);
  assert.equal(fs.readFileSync(path.join(data.dir, 'order'), 'utf8'), 'pre-start\nmain\npost-stop\n');

  const [pre, main, post] = ['pre-start', 'main', 'post-stop'].map((name) => report(data.dir, name)) as [ProbeReport, ProbeReport, ProbeReport];
  assert.deepEqual([main.uid, main.gid], [1234, 1234]);
  for (const hook of [pre, post]) {
    assert.deepEqual([hook.uid, hook.gid, hook.groups], [0, 0, []], 'a hook runs as root');
    assert.equal(hook.caps.CapEff, '00000000a80425fb', 'with the capabilities a root app gets');
    assert.equal(hook.caps.CapBnd, main.caps.CapBnd);
    assert.equal(hook.cwd, '/tmp');
    assert.equal(hook.env.GREETING, 'from the image');
    assert.equal(hook.env.AC_APP_NAME, main.env.AC_APP_NAME);
    assert.equal(hook.env.PATH, main.env.PATH);
    for (const ns of ['pid', 'net', 'uts', 'ipc'] as const) assert.equal(hook.ns[ns], main.ns[ns], `the app's ${ns} namespace`);
    // The app's own mount and cgroup namespaces die with it: pre-start shares them, post-stop gets
    // new ones made the same way (same cgroup, same mounts, checked here and below). Comparing
    // post-stop's inode numbers with the dead ones' passed only when the kernel reused the numbers.
    if (hook === pre) for (const ns of ['mnt', 'cgroup'] as const) assert.equal(hook.ns[ns], main.ns[ns], `the app's ${ns} namespace`);
    assert.equal(hook.cgroup, main.cgroup);
    assert.deepEqual([hook.seccomp, hook.noNewPrivs], [main.seccomp, main.noNewPrivs]);
    assert.deepEqual(hook.nofile, main.nofile);
    assert.ok(hook.mounts.some((m) => m.target === '/data'), 'the app\'s volumes');
  }
  assert.equal(main.caps.CapEff, '0000000000000000');

  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  assert.equal(statusOf(uuid, 'order'), '7\n');
  assert.equal(statusOf(uuid, 'order.post-stop'), '0\n');
  assert.deepEqual(mountsUnder(dataDir), [], 'nothing of the pod is left mounted on the host');
});

test('a failing pre-start stops the app from starting, with an error naming the handler', async () => {
  const failing = await signedAci('failing', {
    ...APP,
    exec: ['/bin/sh', '-c', probeTo('main')],
    eventHandlers: [
      { name: 'pre-start', exec: ['/bin/sh', '-c', `${probeTo('pre-start')}; exit 3`] },
      { name: 'post-stop', exec: ['/bin/sh', '-c', probeTo('post-stop')] },
    ],
  });
  const data = dataVolume('failing');
  const run = await rkt('run', ...data.args, failing);
  assert.equal(run.status, 254);
  assert.match(run.stderr, /pre-start failing: exited with status 3; the app was not started/);
  assert.equal(fs.readFileSync(path.join(data.dir, 'order'), 'utf8'), 'pre-start\n', 'neither the app nor its post-stop ran');

  const missing = await signedAci('missing', { ...APP, exec: ['/bin/true'], eventHandlers: [{ name: 'pre-start', exec: ['/bin/no-such-handler'] }] });
  const none = await rkt('run', missing);
  assert.equal(none.status, 254);
  assert.match(none.stderr, /pre-start exec \/bin\/no-such-handler: No such file or directory/);
});

test('post-stop runs when the app is stopped', async () => {
  const image = await signedAci('stopped', {
    ...APP,
    exec: ['/bin/sh', '-c', `${probeTo('main')} && echo up && exec sleep 60`],
    eventHandlers: [{ name: 'post-stop', exec: ['/bin/sh', '-c', probeTo('post-stop')] }],
  });
  const data = dataVolume('stopped');
  const uuidFile = path.join(work, 'stopped.uuid');
  const child = startRkt(dataDir, [...config, 'run', ...data.args, `--uuid-file-save=${uuidFile}`, image]);
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  for (let i = 0; i < 200 && !stdout.includes('up'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  assert.equal((await rkt('stop', uuid)).status, 0);
  assert.equal(await closed, 143, 'the app was stopped by SIGTERM');
  assert.equal(fs.readFileSync(path.join(data.dir, 'order'), 'utf8'), 'main\npost-stop\n');
  assert.equal(statusOf(uuid, 'stopped'), '143\n');
  assert.equal(statusOf(uuid, 'stopped.post-stop'), '0\n');
  assert.deepEqual(mountsUnder(dataDir), [], 'nothing of the pod is left mounted on the host');
});
