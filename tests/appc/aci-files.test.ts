/** ACI files: fetched with their signatures, verified against the trust store, run, exported. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildAci, compress } from '../support/aci-builder.js';
import { GpgHome, type TestKey, trustKey } from '../support/gpg-keys.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('appc');
const work = path.join(dataDir, 'work');
const system = path.join(dataDir, 'system-config');
const local = path.join(dataDir, 'local-config');
const gpg = new GpgHome();
let trusted: TestKey;
let untrusted: TestKey;
let sibling: TestKey;

const config = [`--system-config=${system}`, `--local-config=${local}`];
const rkt = (...args: string[]) => runRkt(dataDir, [...config, ...args]);

before(() => {
  fs.mkdirSync(work, { recursive: true });
  trusted = gpg.makeKey('Trusted <trusted@example.com>');
  untrusted = gpg.makeKey('Untrusted <untrusted@example.com>');
  sibling = gpg.makeKey('Sibling <sibling@example.com>');
  trustKey(local, 'example.com/app', trusted);
  trustKey(local, 'example.com/application', sibling);
});
after(() => {
  gpg.remove();
  removeDataDir(dataDir);
});

const APP = { exec: ['/bin/sh', '-c', 'echo "user=$(id -u):$(id -g) groups=$(id -G) cwd=$(pwd) greeting=$GREETING"'], user: 'appuser', group: 'appgroup', workingDirectory: '/tmp', environment: [{ name: 'GREETING', value: 'hello from an ACI' }], supplementaryGIDs: [4321] };

async function writeAci(file: string, spec: Parameters<typeof buildAci>[0], compression?: 'gzip' | 'bzip2' | 'xz'): Promise<string> {
  const tar = await buildAci(spec);
  fs.writeFileSync(path.join(work, file), compression ? compress(tar, compression) : tar);
  return path.join(work, file);
}

test('a signed ACI (gzip, bzip2, xz or plain) is fetched as sha512-… and runs with its manifest app: user and group by name, environment, working directory', async () => {
  const ids = new Set<string>();
  for (const compression of [undefined, 'gzip', 'bzip2', 'xz'] as const) {
    const file = await writeAci(`app-${compression ?? 'tar'}.aci`, { name: 'example.com/app', version: '1.0', app: APP, busybox: true }, compression);
    trusted.sign(file);
    const fetched = await rkt('fetch', '--full', file);
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.match(fetched.stdout, /^sha512-[0-9a-f]{128}\n$/);
    ids.add(fetched.stdout.trim());
  }
  assert.equal(ids.size, 1, 'the image ID is the digest of the uncompressed tar, whatever the compression');
  const [id] = [...ids];
  const run = await rkt('run', id!.slice(0, 20));
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /user=1234:1234 groups=1234 4321 cwd=\/tmp greeting=hello from an ACI/);
  // The stored name finds it too; cat-manifest prints the appc manifest.
  const byName = await rkt('run', '--pull-policy=never', 'example.com/app:1.0', '--exec=/bin/true');
  assert.equal(byName.status, 0, byName.stderr);
  const manifest = await rkt('image', 'cat-manifest', id!);
  assert.equal(JSON.parse(manifest.stdout).name, 'example.com/app');
});

const storedIds = async () => (await rkt('image', 'list', '--no-legend', '--full')).stdout.split('\n').map((line) => line.split(/\s+/)[0]).sort().join(' ');

async function refused(args: string[], code: RegExp, text: RegExp): Promise<void> {
  const before = await storedIds();
  const result = await rkt('--debug', ...args);
  assert.notEqual(result.status, 0, `expected a refusal: ${result.stdout}`);
  assert.match(result.stderr, code);
  assert.match(result.stderr, text);
  assert.equal(await storedIds(), before, 'nothing was added to the store');
}

test('refusals: tampered, untrusted key, key of a sibling prefix, malformed signature, unsigned', async () => {
  const good = await writeAci('good.aci', { name: 'example.com/app', version: '2.0', app: APP, busybox: true, files: { 'x': 'x' } });
  trusted.sign(good);
  // Tampered: the same image with one file's content changed after signing.
  const tampered = await writeAci('tampered.aci', { name: 'example.com/app', version: '2.0', app: APP, busybox: true, files: { 'x': 'y' } });
  await refused(['fetch', `--signature=${good}.asc`, tampered], /ERR_TRUST_SIGNATURE_INVALID/, /does not verify image example\.com\/app/);
  // Signed by a key not in the store.
  untrusted.sign(good, path.join(work, 'untrusted.asc'));
  await refused(['fetch', `--signature=${path.join(work, 'untrusted.asc')}`, good], /ERR_TRUST_KEY_UNTRUSTED/, /rkt trust --prefix=example\.com\/app/);
  // The sibling key is trusted for example.com/application only, not for example.com/app…
  sibling.sign(good, path.join(work, 'sibling.asc'));
  await refused(['fetch', `--signature=${path.join(work, 'sibling.asc')}`, good], /ERR_TRUST_KEY_UNTRUSTED/, /not trusted for example\.com\/app/);
  // …and the key for example.com/app does not cover example.com/application.
  const application = await writeAci('application.aci', { name: 'example.com/application', app: APP, busybox: true });
  trusted.sign(application);
  await refused(['fetch', application], /ERR_TRUST_KEY_UNTRUSTED/, /not trusted for example\.com\/application/);
  sibling.sign(application);
  assert.equal((await rkt('fetch', application)).status, 0);
  // A signature file that is not one.
  fs.writeFileSync(path.join(work, 'garbage.asc'), '-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all!\n-----END PGP SIGNATURE-----\n');
  await refused(['fetch', `--signature=${path.join(work, 'garbage.asc')}`, good], /ERR_TRUST_SIGNATURE_MALFORMED/, /garbage\.asc/);
  // Unsigned: refused, naming the flag; accepted with it.
  const unsigned = await writeAci('unsigned.aci', { name: 'example.com/app/unsigned', app: APP, busybox: true });
  await refused(['fetch', unsigned], /ERR_TRUST_UNSIGNED_IMAGE/, /--insecure-options=image/);
  await refused(['run', unsigned], /ERR_TRUST_UNSIGNED_IMAGE/, /--insecure-options=image/);
  const insecure = await rkt('run', '--insecure-options=image', unsigned);
  assert.equal(insecure.status, 0, insecure.stderr);
});

test('an expired key is refused', async () => {
  const expired = gpg.makeKey('Expired <expired@example.com>', { expire: '1d', fakedTime: '20200101T000000' });
  trustKey(local, 'example.com/old', expired);
  const file = await writeAci('old.aci', { name: 'example.com/old', app: APP, busybox: true });
  expired.sign(file);
  await refused(['fetch', file], /ERR_TRUST_KEY_EXPIRED/, /expired on 2020-01-02/);
});

test('an image with a dependency: the dependency rootfs below, the image above', async () => {
  const base = await writeAci('base.aci', { name: 'example.com/app/base', version: '1', busybox: true, files: { 'etc/motd': 'from base\n', 'base-only': 'base\n' } });
  trusted.sign(base);
  const baseId = (await rkt('fetch', '--full', base)).stdout.trim();
  assert.match(baseId, /^sha512-/);
  const top = await writeAci('top.aci', {
    name: 'example.com/app/top',
    version: '1',
    app: { exec: ['/bin/sh', '-c', 'cat /etc/motd /base-only /top-only'], user: '0', group: '0' },
    dependencies: [{ imageName: 'example.com/app/base', imageID: baseId.slice(0, 30), labels: [{ name: 'version', value: '1' }] }],
    files: { 'etc/motd': 'from top\n', 'top-only': 'top\n' },
  });
  trusted.sign(top);
  const run = await rkt('run', top);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.replace(/\r/g, ''), 'from top\nbase\ntop\n');
});

test('image export writes the ACI; fetching it back gives the same image ID', async () => {
  const file = await writeAci('export.aci', { name: 'example.com/app/export', busybox: true }, 'xz');
  trusted.sign(file);
  const id = (await rkt('fetch', '--full', file)).stdout.trim();
  const out = path.join(work, 'exported.aci');
  const exported = await rkt('image', 'export', id, out);
  assert.equal(exported.status, 0, exported.stderr);
  const again = await rkt('fetch', '--full', '--insecure-options=image', out);
  assert.equal(again.stdout.trim(), id);
});
