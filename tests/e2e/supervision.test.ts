/** The pod's PID 1: it forwards signals to the apps and reaps every child, orphans included. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { processExists } from '../support/host-state.js';
import { runRkt, startRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('supervision');
after(() => removeDataDir(dataDir));

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} sent to rkt run reaches the app, and rkt exits 128+N`, async () => {
    const uuidFile = path.join(dataDir, `uuid-${signal}`);
    const child = startRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, `oci:${busyboxLayout()}:latest`, '--exec=/bin/probe', '--', 'sleep', '60']);
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The probe says "ready" once its signal handling is set up; only then is the test meaningful.
    await waitFor(() => stderr.includes('probe: ready'), 'the probe to start');
    const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
    const pid = Number(fs.readFileSync(path.join(dataDir, 'pods', 'run', uuid, 'pid'), 'utf8'));
    assert.equal(child.pid !== undefined && processExists(child.pid), true);
    child.kill(signal);
    const number = signal === 'SIGTERM' ? 15 : 2;
    assert.equal(await closed, 128 + number, stderr);
    assert.ok(!processExists(pid), 'the pod PID 1 is gone');
    const status = await runRkt(dataDir, ['status', uuid]);
    assert.match(status.stdout, new RegExp(`^app-busybox=${128 + number}$`, 'm'));
  });
}

test('orphans are reaped by the pod PID 1: no zombie stays in the pod', async () => {
  // The subshell's child is orphaned at once; a PID 1 that does not reap would leave it a zombie.
  const script = '(sh -c "exit 0" &) ; sleep 0.5; cat /proc/[0-9]*/stat';
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `oci:${busyboxLayout()}:latest`, '--exec=/bin/sh', '--', '-c', script]);
  assert.equal(result.status, 0, result.stderr);
  const states = result.stdout.trim().split('\n').map((line) => line.slice(line.lastIndexOf(')') + 2, line.lastIndexOf(')') + 3));
  assert.ok(states.length >= 2, `expected the pod's processes, got: ${result.stdout}`);
  assert.ok(!states.includes('Z'), `a zombie is left in the pod: ${result.stdout}`);
});
