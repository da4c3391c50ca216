/**
 * An ACI download by URL cut off half-way (by a proxy in front of a real web server, busybox httpd)
 * is resumed by the next fetch with a Range request; a partial copy of a version the server no
 * longer has is started again. Plain HTTP (--insecure-options=http), signatures still verified.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildAci } from '../support/aci-builder.js';
import { startBusyboxHttpd, type StaticServer } from '../support/busybox-httpd.js';
import { startDroppingProxy } from '../support/dropping-proxy.js';
import { GpgHome, type TestKey, trustKey } from '../support/gpg-keys.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('aci-resume');
const www = path.join(dataDir, 'www');
const local = path.join(dataDir, 'local-config');
const gpg = new GpgHome();
let key: TestKey;
let server: StaticServer;

const rkt = (...args: string[]) => runRkt(dataDir, [`--system-config=${path.join(dataDir, 'system-config')}`, `--local-config=${local}`, '--insecure-options=http', ...args]);
const CUT_AT = 300_000;

/** Publishes app.aci (busybox, plus `extra` bytes of a file) and its signature; its image ID. */
async function publish(extra: number): Promise<string> {
  const file = path.join(www, 'app.aci');
  fs.writeFileSync(file, await buildAci({ name: 'example.com/resumed', version: '1', busybox: true, files: { padding: 'x'.repeat(extra) } }));
  key.sign(file);
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('hex')}`;
}

const ingest = () => fs.readdirSync(path.join(dataDir, 'cas', 'ingest')).filter((name) => name.startsWith('aci-'));

before(async () => {
  fs.mkdirSync(www, { recursive: true });
  key = gpg.makeKey('Resumed <keys@example.com>');
  trustKey(local, 'example.com/resumed', key);
  server = await startBusyboxHttpd(www);
});
after(async () => {
  await server?.stop();
  gpg.remove();
  removeDataDir(dataDir);
});

test('a download cut off half-way is kept, and the next fetch asks for the rest with Range and stores the image', async () => {
  const id = await publish(10);
  const proxy = await startDroppingProxy(server.host, CUT_AT, /\.aci$/);
  try {
    const url = `http://${proxy.host}/app.aci`;
    const first = await rkt('--debug', 'fetch', url);
    assert.equal(first.status, 254, 'the cut-off download fails the fetch');
    assert.match(first.stderr, /ERR_APPC_FETCH_FAILED/);
    assert.match(first.stderr, /was cut off after \d+ bytes/);
    const partial = ingest().find((name) => !name.endsWith('.validator'))!;
    const kept = fs.statSync(path.join(dataDir, 'cas', 'ingest', partial)).size;
    assert.ok(kept > 0 && kept <= CUT_AT, `kept ${kept} bytes`);
    const second = await rkt('fetch', '--full', url);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout.trim(), id, 'the resumed download is the whole, verified image');
    assert.deepEqual(proxy.ranges, ['', `bytes=${kept}-`]);
    assert.deepEqual(ingest(), [], 'nothing is left in ingest/');
  } finally {
    await proxy.stop();
  }
});

test('a partial copy of a version the server no longer has is started again (the server ignores If-Range)', async () => {
  await publish(20);
  const proxy = await startDroppingProxy(server.host, CUT_AT, /\.aci$/);
  try {
    const url = `http://${proxy.host}/app.aci`;
    assert.equal((await rkt('fetch', url)).status, 254);
    assert.equal(ingest().length, 2, 'the partial copy and its validator');
    // A new version: another size, so busybox's ETag (mtime and size) changes.
    const id = await publish(5000);
    const second = await rkt('fetch', '--full', url);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout.trim(), id);
    assert.equal(proxy.ranges.length, 3);
    assert.match(proxy.ranges[1]!, /^bytes=\d+-$/, 'the resume was tried…');
    assert.equal(proxy.ranges[2], '', '…and, its answer being of another version, the whole asked for');
  } finally {
    await proxy.stop();
  }
});
