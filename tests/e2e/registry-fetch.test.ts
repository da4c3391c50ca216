/**
 * docker:// end to end against Debian's docker-registry on 127.0.0.1 (plain HTTP): fetch and run,
 * pull by digest, four concurrent fetches, and a download cut off half-way that the next fetch
 * resumes with a Range request. The registry client itself is tested on the registry branch.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { startDroppingProxy } from '../support/dropping-proxy.js';
import { registryAvailable, startLocalRegistry, type LocalRegistry } from '../support/local-registry.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const skip = registryAvailable() ? false : 'docker-registry or skopeo is not installed';
let registry: LocalRegistry;
const dataDirs: string[] = [];
const dataDir = (label: string) => {
  const dir = makeDataDir(label);
  dataDirs.push(dir);
  return dir;
};

before(async () => {
  if (skip) return;
  registry = await startLocalRegistry();
  registry.push(`oci:${busyboxLayout()}:latest`, 'busybox:latest');
});
after(async () => {
  dataDirs.forEach(removeDataDir);
  await registry?.stop();
});

const INSECURE = '--insecure-options=image,http';

test('fetch docker://127.0.0.1:PORT/busybox:latest, then run it; pulling by digest gives the same image', { skip }, async () => {
  const dir = dataDir('registry');
  const image = `docker://${registry.host}/busybox:latest`;
  const fetched = await runRkt(dir, ['fetch', '--full', INSECURE, image]);
  assert.equal(fetched.status, 0, fetched.stderr);
  const id = fetched.stdout.trim();
  assert.equal(id, registry.digestOf('busybox:latest').replace(':', '-'));
  const run = await runRkt(dir, ['run', INSECURE, image, '--exec=/bin/sh', '--', '-c', 'echo registry ok']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /registry ok/);
  const byDigest = await runRkt(dir, ['fetch', '--full', INSECURE, `docker://${registry.host}/busybox@${registry.digestOf('busybox:latest')}`]);
  assert.equal(byDigest.status, 0, byDigest.stderr);
  assert.equal(byDigest.stdout.trim(), id);
  // One image, known by both names (the list shows the name it was fetched as last).
  const list = JSON.parse((await runRkt(dir, ['image', 'list', '--format=json'])).stdout) as { id: string }[];
  assert.deepEqual(list.map((entry) => entry.id), [id]);
  const verify = await runRkt(dir, ['image', 'verify', `docker://${registry.host}/busybox:latest`]);
  assert.equal(verify.status, 0, verify.stderr);
});

test('four processes fetching the same docker:// image at once all succeed, and the store holds one copy', { skip }, async () => {
  const dir = dataDir('registry-concurrent');
  const results = await Promise.all(Array.from({ length: 4 }, () => runRkt(dir, ['fetch', '--full', INSECURE, `docker://${registry.host}/busybox:latest`])));
  for (const result of results) assert.equal(result.status, 0, result.stderr);
  assert.equal(new Set(results.map((r) => r.stdout)).size, 1);
  const blobs = fs.readdirSync(path.join(dir, 'cas', 'blobs', 'sha256'));
  assert.equal(blobs.length, 3);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'cas', 'ingest')), []);
});

test('a layer download cut off half-way is resumed by the next fetch with a Range request', { skip }, async () => {
  const dir = dataDir('registry-resume');
  const proxy = await startDroppingProxy(registry.host, 300_000);
  try {
    const image = `docker://${proxy.host}/busybox:latest`;
    const first = await runRkt(dir, ['fetch', INSECURE, image]);
    assert.equal(first.status, 254, 'the cut-off download fails the fetch');
    const partial = fs.readdirSync(path.join(dir, 'cas', 'ingest'));
    assert.equal(partial.length, 1);
    const kept = fs.statSync(path.join(dir, 'cas', 'ingest', partial[0]!)).size;
    assert.ok(kept > 0 && kept <= 300_000, `kept ${kept} bytes`);
    const second = await runRkt(dir, ['fetch', '--full', INSECURE, image]);
    assert.equal(second.status, 0, second.stderr);
    assert.ok(proxy.ranges.includes(`bytes=${kept}-`), `blob requests: ${JSON.stringify(proxy.ranges)}`);
    assert.match((await runRkt(dir, ['image', 'verify', second.stdout.trim()])).stdout, /3 blob\(s\) match their digests/);
  } finally {
    await proxy.stop();
  }
});
