/** rkt fetch and rkt run from the store, with every local source: OCI layouts, OCI archives, docker archives. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { busyboxDockerArchive, busyboxOciArchive } from '../support/image-archives.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('fetch');
after(() => removeDataDir(dataDir));

const ID = /^sha256-[0-9a-f]{12}\n$/;
const FULL_ID = /^sha256-[0-9a-f]{64}\n$/;

async function fetchId(...args: string[]): Promise<string> {
  const result = await runRkt(dataDir, ['fetch', '--full', ...args]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, FULL_ID);
  return result.stdout.trim();
}

test('fetch of an OCI layout prints the image ID (short, or full with --full); stderr stays quiet off a terminal', async () => {
  const result = await runRkt(dataDir, ['fetch', `oci:${busyboxLayout()}:latest`]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, ID);
  assert.equal(result.stderr, '');
  const full = await fetchId(`oci:${busyboxLayout()}:latest`);
  assert.ok(full.startsWith(result.stdout.trim()));
});

test('each source is run from the store: oci, oci-archive, docker-archive, and the stored ID', async () => {
  for (const image of [`oci:${busyboxLayout()}:latest`, `oci-archive:${busyboxOciArchive()}`, `docker-archive:${busyboxDockerArchive()}`]) {
    const id = await fetchId(image);
    const run = await runRkt(dataDir, ['run', '--insecure-options=image', image, '--exec=/bin/sh', '--', '-c', 'echo hello from $0', image]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`hello from ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const byId = await runRkt(dataDir, ['run', '--insecure-options=image', id.slice(0, 20), '--exec=/bin/true']);
    assert.equal(byId.status, 0, byId.stderr);
  }
  // skopeo's OCI archive holds the very same manifest: the same image.
  assert.equal(await fetchId(`oci-archive:${busyboxOciArchive()}`), await fetchId(`oci:${busyboxLayout()}:latest`));
});

test('pull policies: never refuses what the store lacks, new uses the store, update reads the source again', async () => {
  const fresh = makeDataDir('policy');
  try {
    const image = `docker-archive:${busyboxDockerArchive()}`;
    const never = await runRkt(fresh, ['fetch', '--pull-policy=never', image]);
    assert.equal(never.status, 254);
    assert.match(never.stderr, /not in the store, and the pull policy is "never"/);
    const neverRun = await runRkt(fresh, ['run', '--insecure-options=image', '--pull-policy=never', image, '--exec=/bin/true']);
    assert.equal(neverRun.status, 254);
    assert.equal((await runRkt(fresh, ['fetch', image])).status, 0);
    // With the source gone, new and never still work from the store; update must read the source.
    const copy = path.join(fresh, 'copy.tar');
    fs.copyFileSync(busyboxDockerArchive(), copy);
    assert.equal((await runRkt(fresh, ['fetch', `docker-archive:${copy}`])).status, 0);
    fs.rmSync(copy);
    assert.equal((await runRkt(fresh, ['fetch', '--pull-policy=new', `docker-archive:${copy}`])).status, 0);
    assert.equal((await runRkt(fresh, ['run', '--insecure-options=image', `docker-archive:${copy}`, '--exec=/bin/true'])).status, 0);
    const update = await runRkt(fresh, ['fetch', `docker-archive:${copy}`]);
    assert.equal(update.status, 254);
    assert.match(update.stderr, /does not exist/);
    const bad = await runRkt(fresh, ['fetch', '--pull-policy=sometimes', image]);
    assert.equal(bad.status, 254);
    assert.match(bad.stderr, /unknown policy "sometimes"/);
  } finally {
    removeDataDir(fresh);
  }
});

test('a hostile or broken archive is refused with exit 254 and leaves nothing in the store', async () => {
  const fresh = makeDataDir('hostile');
  try {
    const evil = path.join(fresh, 'evil.tar');
    const { execFileSync } = await import('node:child_process');
    const src = path.join(fresh, 'src');
    fs.mkdirSync(path.join(src, 'blobs'), { recursive: true });
    fs.symlinkSync('/etc', path.join(src, 'blobs', 'sha256'));
    fs.writeFileSync(path.join(src, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    execFileSync('tar', ['-cf', evil, '-C', src, 'oci-layout', 'blobs']);
    const result = await runRkt(fresh, ['fetch', `oci-archive:${evil}`]);
    assert.equal(result.status, 254);
    assert.match(result.stderr, /points outside the archive/);
    const truncated = path.join(fresh, 'truncated.tar');
    fs.writeFileSync(truncated, fs.readFileSync(busyboxDockerArchive()).subarray(0, 100_000));
    const cut = await runRkt(fresh, ['fetch', `docker-archive:${truncated}`]);
    assert.equal(cut.status, 254, cut.stderr);
    assert.deepEqual(fs.readdirSync(path.join(fresh, 'cas', 'blobs')).flatMap((d) => fs.readdirSync(path.join(fresh, 'cas', 'blobs', d))), []);
    assert.deepEqual(fs.readdirSync(path.join(fresh, 'cas', 'tmp')), []);
  } finally {
    removeDataDir(fresh);
  }
});
