/** rkt image list, rm, gc, verify, export; concurrent fetches; fetches killed with SIGKILL. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { writeOciLayout } from '../../src/image/oci-layout-writer.js';
import { busyboxLayout } from '../support/busybox-layout.js';
import { busyboxDockerArchive } from '../support/image-archives.js';
import { RKT } from '../support/project-paths.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDirs: string[] = [];
after(() => dataDirs.forEach(removeDataDir));
function dataDir(label: string): string {
  const dir = makeDataDir(label);
  dataDirs.push(dir);
  return dir;
}

async function ok(dir: string, ...args: string[]): Promise<string> {
  const result = await runRkt(dir, args);
  assert.equal(result.status, 0, `rkt ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function storeFiles(dir: string, sub: string): string[] {
  const root = path.join(dir, 'cas', sub);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((d) => d !== 'tmp').flatMap((alg) => fs.readdirSync(path.join(root, alg)).map((name) => `${alg}:${name}`));
}

const busybox = () => `oci:${busyboxLayout()}:latest`;
const archive = () => `docker-archive:${busyboxDockerArchive()}`;

test('image list: rkt\'s columns, --fields, --sort, --order, --no-legend, --full and --format json', async () => {
  const dir = dataDir('list');
  assert.equal(await ok(dir, 'image', 'list'), 'ID  NAME  IMPORT TIME  LAST USED  SIZE  LATEST\n');
  const first = (await ok(dir, 'fetch', '--full', busybox())).trim();
  const second = (await ok(dir, 'fetch', '--full', archive())).trim();
  const [header, ...rows] = (await ok(dir, 'image', 'list')).trimEnd().split('\n');
  assert.match(header!, /^ID\s+NAME\s+IMPORT TIME\s+LAST USED\s+SIZE\s+LATEST$/);
  assert.equal(rows.length, 2);
  assert.match(rows[0]!, new RegExp(`^${first.slice(0, 19)}\\s+oci:${busyboxLayout()}:latest\\s+(now|\\d+ seconds? ago)\\s+.*\\d(\\.\\d)? (KiB|MiB)\\s+true$`));
  const names = await ok(dir, 'image', 'list', '--fields=name,id', '--sort=name', '--order=desc', '--no-legend', '--full');
  assert.deepEqual(names.trimEnd().split('\n').map((line) => line.split(/\s+/)), [[`oci:${busyboxLayout()}:latest`, first], [`docker-archive:${busyboxDockerArchive()}`, second]]);
  const json = JSON.parse(await ok(dir, 'image', 'list', '--format=json')) as { id: string; name: string; size: number; latest: boolean }[];
  assert.deepEqual(json.map((i) => i.id).sort(), [first, second].sort());
  assert.ok(json.every((i) => i.size > 100_000 && i.latest));
  const bad = await runRkt(dir, ['image', 'list', '--fields=id,colour']);
  assert.equal(bad.status, 254);
  assert.match(bad.stderr, /unknown field "colour"/);
});

test('export, rm, fetch the export again: the same image ID; verify finds a blob corrupted at rest', async () => {
  const dir = dataDir('export');
  const id = (await ok(dir, 'fetch', '--full', archive())).trim();
  const manifest = await ok(dir, 'image', 'cat-manifest', id);
  const out = path.join(dir, 'exported.tar');
  await ok(dir, 'image', 'export', id, out);
  const again = await runRkt(dir, ['image', 'export', id, out]);
  assert.equal(again.status, 254);
  assert.match(again.stderr, /already exists/);
  assert.match(await ok(dir, 'image', 'rm', id), /1 image\(s\) successfully removed/);
  assert.deepEqual(storeFiles(dir, 'blobs'), []);
  assert.deepEqual(storeFiles(dir, 'layers'), []);
  assert.equal((await ok(dir, 'fetch', '--full', `oci-archive:${out}`)).trim(), id);
  assert.equal(await ok(dir, 'image', 'cat-manifest', id.slice(0, 12)), manifest);
  assert.match(await ok(dir, 'image', 'verify', id), /successfully verified image .*: 3 blob\(s\) match their digests; 1 of 1 layer\(s\) extracted/);
  // Change a file in the extracted layer (its bytes rewritten as they were): pods run on that tree,
  // and verify says which layer changed, though every blob still matches.
  const [layerAlg, layerHex] = storeFiles(dir, 'layers')[0]!.split(':') as [string, string];
  const rootfs = path.join(dir, 'cas', 'layers', layerAlg, layerHex, 'rootfs');
  const shell = path.join(rootfs, 'bin', 'busybox');
  const shellBytes = fs.readFileSync(shell);
  await new Promise((resolve) => setTimeout(resolve, 20)); // one tick of the kernel's coarse file clock
  fs.writeFileSync(shell, shellBytes);
  const changed = await runRkt(dir, ['image', 'verify', id]);
  assert.equal(changed.status, 254, changed.stdout);
  assert.match(changed.stderr, new RegExp(`the extracted layer ${rootfs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was changed after extraction`));
  assert.doesNotMatch(changed.stderr, /blob .* has digest/, 'the blobs themselves are intact');
  // Flip a byte of the layer blob: verify says which blob, and fails.
  const layer = storeFiles(dir, 'blobs').map((d) => path.join(dir, 'cas', 'blobs', ...d.split(':'))).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
  const bytes = fs.readFileSync(layer);
  bytes[1000] = bytes[1000]! ^ 0xff;
  fs.writeFileSync(layer, bytes);
  const verify = await runRkt(dir, ['image', 'verify', id]);
  assert.equal(verify.status, 254);
  assert.match(verify.stderr, new RegExp(`blob sha256:${path.basename(layer)} has digest sha256:`));
  const missing = await runRkt(dir, ['image', 'rm', 'sha256-0000']);
  assert.equal(missing.status, 254);
  assert.match(missing.stderr, /no image "sha256-0000" in the store/);
});

test('image gc keeps what pods use, and removes it once the pods are gone; image rm refuses an image in use', async () => {
  const dir = dataDir('gc');
  const used = (await ok(dir, 'fetch', '--full', busybox())).trim();
  const unused = (await ok(dir, 'fetch', '--full', archive())).trim();
  const run = await runRkt(dir, ['run', '--insecure-options=image', busybox(), '--exec=/bin/true']);
  assert.equal(run.status, 0, run.stderr);
  const rm = await runRkt(dir, ['image', 'rm', used]);
  assert.equal(rm.status, 254);
  assert.match(rm.stderr, /is used by a pod/);
  const gc = await runRkt(dir, ['image', 'gc', '--grace-period=0s']);
  assert.equal(gc.status, 0, gc.stderr);
  assert.match(gc.stdout, new RegExp(`successfully removed image: "${unused}"`));
  assert.match(gc.stderr, new RegExp(`keeping image "${used}": a pod uses it`));
  const left = JSON.parse(await ok(dir, 'image', 'list', '--format=json')) as { id: string }[];
  assert.deepEqual(left.map((i) => i.id), [used]);
  // The used image's files are all still there: the pod's layers, its blobs.
  assert.match(await ok(dir, 'image', 'verify', used), /1 of 1 layer\(s\) extracted/);
  assert.equal(storeFiles(dir, 'blobs').length, 3);
  await ok(dir, 'gc', '--grace-period=0s');
  const second = await ok(dir, 'image', 'gc', '--grace-period=0s');
  assert.match(second, new RegExp(`successfully removed image: "${used}"`));
  assert.deepEqual(storeFiles(dir, 'blobs'), []);
  assert.deepEqual(storeFiles(dir, 'layers'), []);
  // A recent image survives a long grace period.
  await ok(dir, 'fetch', busybox());
  assert.match(await ok(dir, 'image', 'gc'), /0 blob\(s\), 0 layer\(s\)/);
  assert.equal(storeFiles(dir, 'blobs').length, 3);
});

test('four processes fetching the same image at once all succeed, and the store holds one copy', async () => {
  const dir = dataDir('concurrent');
  for (const image of [archive(), busybox()]) {
    const results = await Promise.all(Array.from({ length: 4 }, () => runRkt(dir, ['fetch', '--full', image])));
    for (const result of results) assert.equal(result.status, 0, result.stderr);
    assert.equal(new Set(results.map((r) => r.stdout)).size, 1);
  }
  const images = JSON.parse(await ok(dir, 'image', 'list', '--format=json')) as unknown[];
  assert.equal(images.length, 2);
  // Both images share their only layer's diff_id: one extracted layer. Blobs: two manifests, one
  // config (skopeo keeps its bytes), and two layer blobs (the docker archive's is uncompressed).
  assert.equal(storeFiles(dir, 'layers').length, 1);
  assert.equal(storeFiles(dir, 'blobs').length, 5);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'cas', 'ingest')), []);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'cas', 'layers', 'tmp')), []);
});

test('a fetch killed with SIGKILL at any point leaves a store that the next fetch completes and verify accepts', async () => {
  const dir = dataDir('killed');
  // One big uncompressed layer, so the copy and the extraction take long enough to be interrupted.
  const layout = path.join(dir, 'big-layout');
  const big = Buffer.alloc(48 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  await writeOciLayout({ dir: layout, tag: 'big', config: { Cmd: ['/x'] }, layers: [{ files: [{ path: 'big.bin', type: 'file', content: big }], compression: 'none' }] });
  // A whole fetch takes about half a second here: the kills land while the blobs are copied, the
  // layer is extracted, and the index is written.
  for (const delayMs of [60, 120, 180, 240, 300, 360, 420]) {
    const child = spawn(RKT, [`--dir=${dir}`, 'fetch', `oci:${layout}:big`], { stdio: 'ignore' });
    const closed = new Promise((resolve) => child.on('close', resolve));
    await sleep(delayMs);
    child.kill('SIGKILL');
    await closed;
  }
  const id = (await ok(dir, 'fetch', '--full', `oci:${layout}:big`)).trim();
  assert.match(await ok(dir, 'image', 'verify', id), /3 blob\(s\) match their digests; 1 of 1 layer\(s\) extracted/);
  const extracted = storeFiles(dir, 'layers')[0]!.split(':');
  assert.equal(fs.statSync(path.join(dir, 'cas', 'layers', ...extracted, 'rootfs', 'big.bin')).size, big.length);
  // What the killed runs left in temporary directories goes with the next gc.
  await ok(dir, 'image', 'gc', '--grace-period=0s');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'cas', 'tmp')), []);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'cas', 'layers', 'tmp')), []);
});
