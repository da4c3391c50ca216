/** rkt's exit statuses: the app's status passes through `run`, 128+N for a signal, 254 for rkt's own failures. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('exit');
after(() => removeDataDir(dataDir));

const image = () => `oci:${busyboxLayout()}:latest`;

for (const code of [0, 3, 77]) {
  test(`an app exiting ${code} makes rkt exit ${code}`, async () => {
    const result = await runRkt(dataDir, ['run', '--insecure-options=image', image(), '--exec=/bin/probe', '--', 'exit', String(code)]);
    assert.equal(result.status, code, result.stderr);
  });
}

for (const [signal, name] of [[9, 'SIGKILL'], [15, 'SIGTERM'], [6, 'SIGABRT']] as const) {
  test(`an app killed by ${name} makes rkt exit ${128 + signal}`, async () => {
    const result = await runRkt(dataDir, ['run', '--insecure-options=image', image(), '--exec=/bin/probe', '--', 'signal', String(signal)]);
    assert.equal(result.status, 128 + signal, result.stderr);
  });
}

test("a umoci-built busybox image whose Cmd is sh -c 'exit 3' exits 3", async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `oci:${busyboxLayout()}:exit3`]);
  assert.equal(result.status, 3, result.stderr);
});

test('a program missing from the image is rkt failing: 254 with the path named', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', image(), '--exec=/bin/no-such-program']);
  assert.equal(result.status, 254);
  assert.match(result.stderr, /\/bin\/no-such-program/);
  assert.match(result.stderr, /ENOENT/);
});
