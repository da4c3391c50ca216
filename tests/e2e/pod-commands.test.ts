/** list, status, cat-manifest, rm and gc on real pods, and a clean host afterwards. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { mountsUnder, processExists } from '../support/host-state.js';
import { runRkt, startRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('pods');
after(() => removeDataDir(dataDir));

const image = () => `oci:${busyboxLayout()}:latest`;

async function runPod(...appArgs: string[]): Promise<string> {
  const uuidFile = path.join(dataDir, `uuid-${Math.random()}`);
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, image(), ...appArgs]);
  assert.ok(result.status !== 254, result.stderr);
  return fs.readFileSync(uuidFile, 'utf8').trim();
}

function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (fs.existsSync(file)) resolve();
      else if (Date.now() > deadline) reject(new Error(`${file} did not appear`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

test('list shows exited pods with rkt\'s columns; --format json parses', async () => {
  const uuid = await runPod('--exec=/bin/probe', '--', 'exit', '4');
  const table = await runRkt(dataDir, ['list']);
  assert.equal(table.status, 0, table.stderr);
  const [header, ...rows] = table.stdout.trimEnd().split('\n');
  assert.match(header!, /^UUID\s+APP\s+IMAGE NAME\s+STATE\s+CREATED\s+STARTED\s+NETWORKS$/);
  const row = rows.find((line) => line.startsWith(uuid.slice(0, 8)));
  assert.ok(row, `pod ${uuid} not listed:\n${table.stdout}`);
  assert.match(row, /\bbusybox\b.*\bexited\b/);

  const noLegend = await runRkt(dataDir, ['list', '--no-legend', '--full']);
  assert.ok(noLegend.stdout.split('\n').some((line) => line.startsWith(uuid)), 'full UUIDs with --full');
  assert.ok(!noLegend.stdout.includes('IMAGE NAME'), 'no header with --no-legend');

  const json = await runRkt(dataDir, ['list', '--format=json']);
  const pods = JSON.parse(json.stdout) as { name: string; state: string; apps: { name: string; exit_code?: number }[] }[];
  const pod = pods.find((entry) => entry.name === uuid);
  assert.equal(pod?.state, 'exited');
  assert.equal(pod?.apps[0]?.exit_code, 4);
});

test('status --wait waits for a running pod, which holds its lock meanwhile', async () => {
  const uuidFile = path.join(dataDir, 'running-uuid');
  const child = startRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, image(), '--exec=/bin/probe', '--', 'sleep', '2']);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await waitForFile(uuidFile);
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  const podDir = path.join(dataDir, 'pods', 'run', uuid);
  await waitForFile(path.join(podDir, 'pid'));

  const running = await runRkt(dataDir, ['status', uuid.slice(0, 8)]);
  assert.match(running.stdout, /^state=running$/m);
  const pid = Number(/^pid=(\d+)$/m.exec(running.stdout)?.[1]);
  assert.ok(processExists(pid), 'the pid shown is a live process');
  assert.ok(!/^app-/m.test(running.stdout), 'no app status while running');

  const rm = await runRkt(dataDir, ['rm', uuid]);
  assert.equal(rm.status, 254, 'a running pod cannot be removed');
  assert.match(rm.stderr, /running/);

  const waited = await runRkt(dataDir, ['status', '--wait', uuid]);
  assert.match(waited.stdout, /^state=exited$/m);
  assert.match(waited.stdout, /^app-busybox=0$/m);
  assert.equal(await exited, 0);
  assert.ok(!processExists(pid), 'the pod process is gone');
});

test('cat-manifest prints the appc pod manifest', async () => {
  const uuid = await runPod('--exec=/bin/true');
  const result = await runRkt(dataDir, ['cat-manifest', uuid]);
  assert.equal(result.status, 0, result.stderr);
  const manifest = JSON.parse(result.stdout) as { acKind: string; apps: { name: string; app: { exec: string[] }; image: { id: string } }[] };
  assert.equal(manifest.acKind, 'PodManifest');
  assert.equal(manifest.apps[0]?.name, 'busybox');
  assert.deepEqual(manifest.apps[0]?.app.exec, ['/bin/true']);
  assert.match(manifest.apps[0]?.image.id ?? '', /^sha256-[0-9a-f]{64}$/);
});

test('rm removes an exited pod and leaves nothing on the host', async () => {
  const uuid = await runPod('--exec=/bin/true');
  const rm = await runRkt(dataDir, ['rm', uuid]);
  assert.equal(rm.status, 0, rm.stderr);
  assert.equal(rm.stdout.trim(), `"${uuid}"`);
  const leftovers = fs.readdirSync(path.join(dataDir, 'pods')).filter((state) => fs.existsSync(path.join(dataDir, 'pods', state, uuid)));
  assert.deepEqual(leftovers, []);
  assert.deepEqual(mountsUnder(dataDir), []);
  const again = await runRkt(dataDir, ['status', uuid]);
  assert.equal(again.status, 254);
});

test('gc --mark-only marks exited pods; gc after the grace period deletes them', async () => {
  const uuid = await runPod('--exec=/bin/true');
  const mark = await runRkt(dataDir, ['gc', '--mark-only']);
  assert.equal(mark.status, 0, mark.stderr);
  assert.ok(fs.existsSync(path.join(dataDir, 'pods', 'exited-garbage', uuid)));
  const status = await runRkt(dataDir, ['status', uuid]);
  assert.match(status.stdout, /^state=exited garbage$/m);

  const early = await runRkt(dataDir, ['gc']);
  assert.equal(early.status, 0, early.stderr);
  assert.ok(fs.existsSync(path.join(dataDir, 'pods', 'exited-garbage', uuid)), 'the default 30m grace period keeps it');

  const sweep = await runRkt(dataDir, ['gc', '--grace-period=0s']);
  assert.equal(sweep.status, 0, sweep.stderr);
  assert.match(sweep.stdout, new RegExp(`Garbage collecting pod "${uuid}"`));
  assert.ok(!fs.existsSync(path.join(dataDir, 'pods', 'exited-garbage', uuid)));
  assert.deepEqual(mountsUnder(dataDir), []);
});

test('after rm of every pod, no pod directory, mount or process is left', async () => {
  const list = await runRkt(dataDir, ['list', '--format=json']);
  const pods = JSON.parse(list.stdout) as { name: string }[];
  for (const pod of pods) {
    const rm = await runRkt(dataDir, ['rm', pod.name]);
    assert.equal(rm.status, 0, rm.stderr);
  }
  for (const state of fs.readdirSync(path.join(dataDir, 'pods'))) assert.deepEqual(fs.readdirSync(path.join(dataDir, 'pods', state)), [], `pods/${state} is empty`);
  assert.deepEqual(mountsUnder(dataDir), []);
});
