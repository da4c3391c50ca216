/** ACI files: fetched with their signatures, verified against the trust store, run, exported. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildAci, compress } from '../support/aci-builder.js';
import { GpgHome, type TestKey, trustKey } from '../support/gpg-keys.js';
import { runRkt, startRkt } from '../support/run-rkt.js';
import { storeContents } from '../support/store-contents.js';
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

async function refused(args: string[], code: RegExp, text: RegExp): Promise<void> {
  const before = await storeContents(dataDir);
  const result = await rkt('--debug', ...args);
  assert.notEqual(result.status, 0, `expected a refusal: ${result.stdout}`);
  assert.match(result.stderr, code);
  assert.match(result.stderr, text);
  assert.deepEqual(await storeContents(dataDir), before, 'nothing was added to the store');
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

test('a revoked key is refused, though it signed the image before it was revoked', async () => {
  const revoking = gpg.makeKey('Revoked <revoked@example.com>');
  const file = await writeAci('revoked.aci', { name: 'example.com/revoked', app: APP, busybox: true });
  revoking.sign(file);
  // The trust store holds the key as published after its revocation certificate was imported.
  trustKey(local, 'example.com/revoked', revoking, revoking.revoke());
  await refused(['fetch', file], /ERR_TRUST_KEY_REVOKED/, new RegExp(`signed by key ${revoking.fingerprint} .*, which is revoked`));
});

test('a vendor key in the system trust store is masked by an empty file of its name in the local one', async () => {
  const vendor = gpg.makeKey('Vendor <vendor@example.com>');
  trustKey(system, 'example.com/vendor', vendor);
  const file = await writeAci('vendor.aci', { name: 'example.com/vendor', app: APP, busybox: true });
  vendor.sign(file);
  const mask = trustKey(local, 'example.com/vendor', vendor);
  fs.writeFileSync(mask, '');
  await refused(['fetch', file], /ERR_TRUST_KEY_UNTRUSTED/, /no key is trusted for example\.com\/vendor/);
  fs.rmSync(mask);
  const unmasked = await rkt('fetch', file);
  assert.equal(unmasked.status, 0, unmasked.stderr);
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

/** Signs with the trusted key and fetches; the image ID. */
async function fetchSigned(file: string): Promise<string> {
  trusted.sign(file);
  const fetched = await rkt('fetch', '--full', file);
  assert.equal(fetched.status, 0, fetched.stderr);
  return fetched.stdout.trim();
}

test('two levels of dependencies render as the spec says: A -> [B, C], C -> [D] stacks B, D, C, A', async () => {
  const bId = await fetchSigned(await writeAci('dep-b.aci', { name: 'example.com/app/dep-b', version: '1', busybox: true, files: { x: 'B\n', y: 'B\n', only: 'B\n' } }));
  await fetchSigned(await writeAci('dep-d.aci', { name: 'example.com/app/dep-d', version: '3', files: { x: 'D\n', y: 'D\n', z: 'D\n' } }));
  // C names D by name and labels only; A names B by image ID and C by name.
  await fetchSigned(await writeAci('dep-c.aci', { name: 'example.com/app/dep-c', version: '2', files: { x: 'C\n', w: 'C\n' }, dependencies: [{ imageName: 'example.com/app/dep-d', labels: [{ name: 'version', value: '3' }] }] }));
  const aId = await fetchSigned(await writeAci('dep-a.aci', {
    name: 'example.com/app/dep-a',
    version: '1',
    app: { exec: ['/bin/sh', '-c', 'cd / && for f in x y z w only; do echo "$f=$(cat $f)"; done'], user: '0', group: '0' },
    files: { w: 'A\n' },
    dependencies: [{ imageName: 'example.com/app/dep-b', imageID: bId }, { imageName: 'example.com/app/dep-c', labels: [{ name: 'version', value: '2' }] }],
  }));
  const expected = 'x=C\ny=D\nz=D\nw=A\nonly=B\n';
  const run = await rkt('run', aId);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.replace(/\r/g, ''), expected);
  // rkt image render gives the same tree; rkt image extract the image alone.
  const rendered = path.join(work, 'rendered-a');
  assert.equal((await rkt('image', 'render', '--rootfs-only', aId, rendered)).status, 0);
  assert.equal(['x', 'y', 'z', 'w', 'only'].map((f) => `${f}=${fs.readFileSync(path.join(rendered, f), 'utf8')}`).join(''), expected);
  const extracted = path.join(work, 'extracted-a');
  assert.equal((await rkt('image', 'extract', '--rootfs-only', aId, extracted)).status, 0);
  assert.deepEqual(fs.readdirSync(extracted).sort(), ['w']);
});

/** Every path under `dir`, relative, sorted; directories end with `/`. */
function treeOf(dir: string, under = ''): string[] {
  return fs.readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${under}/${entry.name}`;
    return entry.isDirectory() ? [`${relative}/`, ...treeOf(dir, relative)] : [relative];
  }).sort();
}

test('pathWhitelist: only the whitelisted paths (and the directories leading to them) survive, filtered by every whitelist above a layer', async () => {
  // A -> [B, C], C -> [D]; A and C have whitelists, B and D none.
  await fetchSigned(await writeAci('wl-b.aci', { name: 'example.com/app/wl-b', version: '1', busybox: true, files: { 'b-kept': 'B\n', 'b-dropped': 'B\n' } }));
  await fetchSigned(await writeAci('wl-d.aci', { name: 'example.com/app/wl-d', version: '1', files: { x: 'D\n', z: 'D\n', 'd-only': 'D\n', 'dir/inner/kept': 'D\n', 'dir/inner/dropped': 'D\n', 'dir/other': 'D\n' } }));
  await fetchSigned(await writeAci('wl-c.aci', {
    name: 'example.com/app/wl-c',
    version: '1',
    files: { c: 'C\n', 'c-dropped': 'C\n' },
    dependencies: [{ imageName: 'example.com/app/wl-d', labels: [{ name: 'version', value: '1' }] }],
    // C's whitelist has neither /z nor /d-only: D's copies are gone from C, so from A too.
    pathWhitelist: ['/x', '/c', '/dir/inner/kept/', '/bin/sh', '/bin/busybox'],
  }));
  const aId = await fetchSigned(await writeAci('wl-a.aci', {
    name: 'example.com/app/wl-a',
    version: '1',
    app: { exec: ['/bin/sh', '-c', 'cat /x /c /a /b-kept /dir/inner/kept; for f in /z /d-only /b-dropped /c-dropped /dir/other /bin/probe; do test -e $f && echo "$f is there"; done; true'], user: '0', group: '0' },
    files: { a: 'A\n', 'a-dropped': 'A\n' },
    dependencies: [{ imageName: 'example.com/app/wl-b', labels: [{ name: 'version', value: '1' }] }, { imageName: 'example.com/app/wl-c', labels: [{ name: 'version', value: '1' }] }],
    pathWhitelist: ['/bin/busybox', '/bin/sh', '/bin/cat', '/etc/passwd', '/etc/group', '/x', '/z', '/d-only', '/c', '/a', '/b-kept', '/dir/inner/kept'],
  }));
  const rendered = path.join(work, 'rendered-wl');
  assert.equal((await rkt('image', 'render', '--rootfs-only', aId, rendered)).status, 0);
  assert.deepEqual(treeOf(rendered), [
    '/a', '/b-kept', '/bin/', '/bin/busybox', '/bin/cat', '/bin/sh', '/c', '/dir/', '/dir/inner/', '/dir/inner/kept', '/etc/', '/etc/group', '/etc/passwd', '/x',
  ]);
  assert.equal(fs.readFileSync(path.join(rendered, 'x'), 'utf8'), 'D\n');
  // The app sees the same tree (plus what the runtime mounts).
  const run = await rkt('run', aId);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.replace(/\r/g, ''), 'D\nC\nA\nB\nD\n');
  // The whole layers are untouched: B alone still has everything.
  const b = await rkt('run', '--pull-policy=never', 'example.com/app/wl-b:1', '--exec=/bin/cat', '--', '/b-dropped');
  assert.equal(b.stdout.replace(/\r/g, ''), 'B\n', b.stderr);
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

test('rkt export: an exited pod\'s app, with its changes, as an ACI that fetches back and runs', async () => {
  const base = await writeAci('export-base.aci', { name: 'example.com/app/export-base', version: '1', busybox: true, files: { 'from-base': 'base\n', 'olddir/a': 'a\n' } });
  trusted.sign(base);
  const baseId = (await rkt('fetch', '--full', base)).stdout.trim();
  const script = 'echo written-by-the-app > /data-written && rm /from-base && rm -r /olddir && mkdir /olddir && echo new > /olddir/b';
  const top = await writeAci('export-top.aci', {
    name: 'example.com/app/export-top',
    version: '1',
    app: { exec: ['/bin/sh', '-c', script], user: '0', group: '0', environment: [{ name: 'A', value: 'image' }] },
    dependencies: [{ imageName: 'example.com/app/export-base', imageID: baseId }],
    files: { 'from-top': 'top\n' },
  });
  trusted.sign(top);
  const uuidFile = path.join(work, 'export.uuid');
  const ran = await rkt('run', `--uuid-file-save=${uuidFile}`, top, '--environment=B=flag');
  assert.equal(ran.status, 0, ran.stderr);
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  const out = path.join(work, 'pod-export.aci');
  const exported = await rkt('export', uuid, out);
  assert.equal(exported.status, 0, exported.stderr);
  assert.equal((await rkt('export', uuid, out)).status !== 0, true, 'an existing file needs --overwrite');
  assert.equal((await rkt('export', '--overwrite', uuid, out)).status, 0);
  const id = (await rkt('fetch', '--full', '--insecure-options=image', out)).stdout.trim();
  assert.match(id, /^sha512-/);
  const manifest = JSON.parse((await rkt('image', 'cat-manifest', id)).stdout) as { name: string; dependencies?: unknown; app: { exec: string[]; environment: { name: string; value: string }[] } };
  assert.equal(manifest.name, 'example.com/app/export-top');
  assert.equal(manifest.dependencies, undefined, 'the rootfs is complete: no dependencies');
  assert.deepEqual(manifest.app.exec, ['/bin/sh', '-c', script]);
  assert.ok(manifest.app.environment.some((e) => e.name === 'B' && e.value === 'flag'), 'the app section as it ran');
  const check = await rkt('run', '--insecure-options=image', id, '--exec=/bin/sh', '--', '-c', 'cat /data-written /from-top; test -e /from-base || echo base-file-removed; ls /olddir');
  assert.equal(check.status, 0, check.stderr);
  assert.equal(check.stdout.replace(/\r/g, ''), 'written-by-the-app\ntop\nbase-file-removed\nb\n');
});

test('rkt export refuses a running pod, and needs --app with several apps', async () => {
  const file = await writeAci('export-sleep.aci', { name: 'example.com/app/export-sleep', busybox: true });
  trusted.sign(file);
  const uuidFile = path.join(work, 'sleep.uuid');
  const child = startRkt(dataDir, [...config, 'run', `--uuid-file-save=${uuidFile}`, file, '--exec=/bin/sh', '--', '-c', 'echo up; exec sleep 60']);
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  for (let i = 0; i < 200 && !stdout.includes('up'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  try {
    const running = await rkt('--debug', 'export', uuid, path.join(work, 'running.aci'));
    assert.notEqual(running.status, 0);
    assert.match(running.stderr, /ERR_POD_NOT_EXITED/);
    assert.match(running.stderr, /is running/);
    assert.equal(fs.existsSync(path.join(work, 'running.aci')), false);
  } finally {
    assert.equal((await rkt('stop', uuid)).status, 0);
    await closed;
  }
  const two = path.join(work, 'two.uuid');
  const ran = await rkt('run', `--uuid-file-save=${two}`, file, '--name=one', '--exec=/bin/true', file, '--name=two', '--exec=/bin/true');
  assert.equal(ran.status, 0, ran.stderr);
  const ambiguous = await rkt('--debug', 'export', fs.readFileSync(two, 'utf8').trim(), path.join(work, 'two.aci'));
  assert.match(ambiguous.stderr, /ERR_APP_REQUIRED/);
  assert.equal((await rkt('export', '--app=two', fs.readFileSync(two, 'utf8').trim(), path.join(work, 'two.aci'))).status, 0);
});
