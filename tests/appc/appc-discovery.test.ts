/**
 * appc names found by meta discovery on a local HTTPS server (a test CA given to rkt through
 * SSL_CERT_FILE; example.com and mirror.example.net reached at 127.0.0.1 through
 * RKT_APPC_RESOLVE), keys added with `rkt trust`, images and dependencies fetched, verified and
 * run, and the failure cases refused; ACIs by URL with ETag caching; auth.d credentials.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildAci } from '../support/aci-builder.js';
import { GpgHome, type TestKey } from '../support/gpg-keys.js';
import { runRkt } from '../support/run-rkt.js';
import { storeContents } from '../support/store-contents.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';
import { makeTestPki, type TestPki } from '../support/test-ca.js';

const dataDir = makeDataDir('appc-discovery');
const work = path.join(dataDir, 'work');
const local = path.join(dataDir, 'local-config');
const gpg = new GpgHome();
let key: TestKey;
let stranger: TestKey;
let appKey: TestKey;
let pki: TestPki;
let server: https.Server;
let env: NodeJS.ProcessEnv;
const files = new Map<string, Buffer>();
const requests: { host: string; path: string; status: number; authorization?: string }[] = [];

/** What the server takes under example.com/private (auth.d gives rkt one or the other). */
const BASIC = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
const BEARER = 'Bearer tok-123';

const rkt = (...args: string[]) => runRkt(dataDir, [`--system-config=${path.join(dataDir, 'system-config')}`, `--local-config=${local}`, ...args], { env });

const TEMPLATE = 'https://example.com/images/{name}-{version}-{os}-{arch}.{ext}';

function page(metas: string): Buffer {
  return Buffer.from(`<!DOCTYPE html><html><head>${metas}</head><body></body></html>`);
}

interface Publication {
  /** The name in the manifest, when it is not the name served. */
  manifestName?: string;
  /** Who signs it; null: nobody (no .asc is served). */
  signer?: TestKey | null;
  /** Where on the server (the discovery templates use /images and /private/images). */
  at?: string;
}

/** Builds, signs and serves an ACI as discovery finds `name:version`; returns the served path of the ACI. */
async function publish(name: string, version: string, spec: Omit<Parameters<typeof buildAci>[0], 'name' | 'version'>, options: Publication = {}): Promise<string> {
  const file = path.join(work, `${name.replace(/\//g, '_')}-${version}.aci`);
  fs.writeFileSync(file, await buildAci({ ...spec, name: options.manifestName ?? name, version }));
  const served = `${options.at ?? '/images'}/${name}-${version}-linux-amd64.aci`;
  files.set(served, fs.readFileSync(file));
  const signer = options.signer === undefined ? key : options.signer;
  if (signer !== null) files.set(`${served}.asc`, fs.readFileSync(signer.sign(file)));
  return served;
}

/**
 * The server: files by path, with ETags (and 304 to a matching If-None-Match). Everything under
 * example.com/private needs credentials, and its ACIs are redirected to mirror.example.net, which
 * serves them to anyone: credentials must go to example.com only.
 */
function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const url = req.url ?? '';
  const answer = (status: number, headers: Record<string, string> = {}, body?: Buffer) => {
    requests.push({ host, path: url, status, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    res.writeHead(status, headers);
    res.end(body);
  };
  if (host === 'example.com' && url.startsWith('/private')) {
    if (req.headers.authorization !== BASIC && req.headers.authorization !== BEARER) return answer(401, { 'WWW-Authenticate': 'Basic realm="private"' });
    if (url.endsWith('.aci')) return answer(302, { Location: `https://mirror.example.net/mirror${url}` });
  }
  const body = files.get(host === 'mirror.example.net' ? url.replace(/^\/mirror/, '') : url);
  const etag = body ? `"${body.length}-${body.subarray(-16).toString('hex')}"` : undefined;
  const status = body === undefined ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
  answer(status, etag ? { ETag: etag } : {}, status === 200 ? body : undefined);
}

before(async () => {
  fs.mkdirSync(work, { recursive: true });
  key = gpg.makeKey('Publisher <keys@example.com>');
  stranger = gpg.makeKey('Stranger <stranger@example.org>');
  appKey = gpg.makeKey('App publisher <app@example.com>');
  pki = makeTestPki();
  // A server certificate for example.com and mirror.example.net, from the test CA.
  fs.writeFileSync(path.join(pki.dir, 'example.ext'), 'subjectAltName=DNS:example.com,DNS:mirror.example.net\nextendedKeyUsage=serverAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'example.key', '-out', 'example.csr', '-subj', '/CN=example.com'], { cwd: pki.dir, stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', 'example.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'example.crt', '-days', '2', '-extfile', 'example.ext'], { cwd: pki.dir, stdio: 'ignore' });
  files.set('/?ac-discovery=1', page(`<meta name="ac-discovery" content="example.com ${TEMPLATE}"><meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg">`));
  files.set('/private?ac-discovery=1', page(`<meta name="ac-discovery" content="example.com/private ${TEMPLATE.replace('/images/', '/private/images/')}">`));
  files.set('/pubkeys.gpg', fs.readFileSync(key.publicKeyFile));
  server = https.createServer({ key: fs.readFileSync(path.join(pki.dir, 'example.key')), cert: fs.readFileSync(path.join(pki.dir, 'example.crt')) }, serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const at = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = { ...process.env, SSL_CERT_FILE: pki.caCert, RKT_APPC_RESOLVE: `example.com=${at},mirror.example.net=${at}` };
  await publish('example.com/hello/base', '1', { busybox: true, files: { 'etc/motd': 'base motd\n', 'base-file': 'from the dependency\n' } });
  await publish('example.com/hello', '1.0', {
    app: { exec: ['/bin/sh', '-c', 'cat /etc/motd /base-file'], user: '0', group: '0' },
    dependencies: [{ imageName: 'example.com/hello/base', labels: [{ name: 'version', value: '1' }] }],
    files: { 'etc/motd': 'hello motd\n' },
  });
  // The failure cases, each under a name the trusted key would cover but for what is wrong with it.
  const tampered = await publish('example.com/hello/tampered', '1.0', { busybox: true, files: { x: 'as signed' } });
  files.set(tampered, await buildAci({ name: 'example.com/hello/tampered', version: '1.0', busybox: true, files: { x: 'altered' } }));
  await publish('example.com/hello/stranger', '1.0', { busybox: true }, { signer: stranger });
  await publish('example.com/hello/renamed', '1.0', { busybox: true }, { manifestName: 'example.com/hello' });
  await publish('example.com/hello/unsigned', '1.0', { busybox: true }, { signer: null });
  await publish('example.com/hello/on-unsigned', '1.0', { busybox: true, dependencies: [{ imageName: 'example.com/hello/unsigned', labels: [{ name: 'version', value: '1.0' }] }] });
  await publish('example.com/app', '1.0', { busybox: true }, { signer: appKey });
  await publish('example.com/application', '1.0', { busybox: true }, { signer: appKey });
  await publish('example.com/private/app', '1.0', { busybox: true }, { at: '/private/images' });
});
after(() => {
  server?.close();
  pki?.remove();
  gpg.remove();
  removeDataDir(dataDir);
});

test('without a trusted key the image is refused; rkt trust needs a terminal or --skip-fingerprint-review', async () => {
  const refused = await rkt('--debug', 'fetch', 'example.com/hello:1.0');
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /ERR_TRUST_KEY_UNTRUSTED/);
  assert.match(refused.stderr, /no key is trusted for example\.com\/hello/);
  const noTty = await rkt('trust', '--prefix=example.com/hello', key.publicKeyFile);
  assert.notEqual(noTty.status, 0);
  assert.match(noTty.stderr, /--skip-fingerprint-review/);
  const unbounded = await rkt('trust', '--skip-fingerprint-review', key.publicKeyFile);
  assert.match(unbounded.stderr, /implicit unbounded trust/);
});

/** `rkt run NAME` is refused with `code` and `text`, and the store holds what it held before. */
async function runRefused(name: string, code: RegExp, text: RegExp): Promise<void> {
  const before = await storeContents(dataDir);
  const result = await rkt('--debug', 'run', name);
  assert.notEqual(result.status, 0, `${name} was not refused: ${result.stdout}`);
  assert.match(result.stderr, code, name);
  assert.match(result.stderr, text, name);
  assert.deepEqual(await storeContents(dataDir), before, `${name}: nothing was added to the store`);
}

test('done when: rkt trust --prefix example.com/hello KEY, then rkt run example.com/hello:1.0 (discovered, verified, fetched with its dependency) runs, and each failure case is refused, leaving nothing in the store', async () => {
  const trusted = await rkt('trust', '--prefix=example.com/hello', '--skip-fingerprint-review', key.publicKeyFile);
  assert.equal(trusted.status, 0, trusted.stderr);
  assert.ok(fs.existsSync(path.join(local, 'trustedkeys', 'prefix.d', 'example.com', 'hello', key.fingerprint)));
  const run = await rkt('run', 'example.com/hello:1.0');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.replace(/\r/g, ''), 'hello motd\nfrom the dependency\n');
  // Discovery walked up: example.com/hello had no page, example.com had.
  assert.ok(requests.some((r) => r.path === '/hello?ac-discovery=1' && r.status === 404));
  const list = await rkt('image', 'list', '--no-legend');
  assert.match(list.stdout, /example\.com\/hello:1\.0/);
  assert.match(list.stdout, /example\.com\/hello\/base:1/);

  await runRefused('example.com/hello/tampered:1.0', /ERR_TRUST_SIGNATURE_INVALID/, /does not verify image example\.com\/hello\/tampered/);
  await runRefused('example.com/hello/stranger:1.0', /ERR_TRUST_KEY_UNTRUSTED/, new RegExp(`signed by key ${stranger.fingerprint.slice(-16)}, which is not trusted for example\\.com/hello/stranger`));
  await runRefused('example.com/hello/renamed:1.0', /ERR_TRUST_NAME_MISMATCH/, /names it example\.com\/hello, but example\.com\/hello\/renamed was asked for/);
  await runRefused('example.com/hello/unsigned:1.0', /ERR_TRUST_UNSIGNED_IMAGE/, /has no signature \(looked for https:\/\/example\.com\/images\/example\.com\/hello\/unsigned-1\.0-linux-amd64\.aci\.asc\)/);
  // A signed, trusted image whose dependency is refused: nothing of either is stored.
  await runRefused('example.com/hello/on-unsigned:1.0', /ERR_TRUST_UNSIGNED_IMAGE/, /example\.com\/hello\/unsigned\) has no signature/);
  // A key trusted for example.com/app covers example.com/app, never its sibling example.com/application.
  const app = await rkt('trust', '--prefix=example.com/app', '--skip-fingerprint-review', appKey.publicKeyFile);
  assert.equal(app.status, 0, app.stderr);
  assert.equal((await rkt('fetch', 'example.com/app:1.0')).status, 0, 'the key works for its own prefix');
  await runRefused('example.com/application:1.0', /ERR_TRUST_KEY_UNTRUSTED/, /no key is trusted for example\.com\/application/);
});

test('rkt trust without a key discovers it (ac-discovery-pubkeys)', async () => {
  const trusted = await rkt('trust', '--prefix=example.com/other', '--skip-fingerprint-review');
  assert.equal(trusted.status, 0, trusted.stderr);
  assert.match(trusted.stdout, new RegExp(`Added key ${key.fingerprint} from https://example.com/pubkeys.gpg`));
});

test('an ACI by https URL: signature at URL.asc, ETag revalidation; plain HTTP refused without --insecure-options=http', async () => {
  const url = 'https://example.com/images/example.com/hello/base-1-linux-amd64.aci';
  const first = await rkt('fetch', '--full', url);
  assert.equal(first.status, 0, first.stderr);
  const before = requests.length;
  const second = await rkt('fetch', '--full', url);
  assert.equal(second.stdout, first.stdout);
  assert.deepEqual(requests.slice(before).map((r) => r.status), [304], 'a conditional GET answered 304, nothing downloaded again');
  const http = await rkt('fetch', 'http://example.com/images/x.aci');
  assert.notEqual(http.status, 0);
  assert.match(http.stderr, /--insecure-options=http/);
});

/** Writes (or with undefined, removes) the local auth.d entry for example.com. */
function authFor(entry: { type: 'basic'; credentials: { user: string; password: string } } | { type: 'oauth'; credentials: { token: string } } | undefined): void {
  const file = path.join(local, 'auth.d', 'example.json');
  if (entry === undefined) return fs.rmSync(file, { force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ rktKind: 'auth', rktVersion: 'v1', domains: ['example.com'], ...entry }));
}

test('auth.d "basic" credentials go with discovery, signature and image requests to example.com, never to the host it redirects to', async () => {
  assert.equal((await rkt('trust', '--prefix=example.com/private', '--skip-fingerprint-review', key.publicKeyFile)).status, 0);
  authFor({ type: 'basic', credentials: { user: 'alice', password: 's3cret' } });
  const from = requests.length;
  const fetched = await rkt('fetch', 'example.com/private/app:1.0');
  assert.equal(fetched.status, 0, fetched.stderr);
  const seen = requests.slice(from);
  const privatePaths = seen.filter((r) => r.host === 'example.com' && r.path.startsWith('/private')).map((r) => r.path);
  assert.ok(privatePaths.includes('/private?ac-discovery=1'), 'discovery');
  assert.ok(privatePaths.some((p) => p.endsWith('.aci.asc')), 'the signature');
  assert.ok(privatePaths.some((p) => p.endsWith('.aci')), 'the image');
  for (const request of seen.filter((r) => r.host === 'example.com')) assert.equal(request.authorization, BASIC, request.path);
  const mirrored = seen.filter((r) => r.host === 'mirror.example.net');
  assert.deepEqual(mirrored.map((r) => [r.status, r.authorization]), [[200, undefined]], 'the redirect to another host carries no credentials');
});

test('auth.d "oauth" sends the token as a bearer token; without credentials the server\'s 401 is reported with a hint, and nothing is stored', async () => {
  const url = 'https://example.com/private/images/example.com/private/app-1.0-linux-amd64.aci';
  authFor({ type: 'oauth', credentials: { token: 'tok-123' } });
  const from = requests.length;
  const fetched = await rkt('fetch', url);
  assert.equal(fetched.status, 0, fetched.stderr);
  const seen = requests.slice(from);
  assert.ok(seen.length > 0 && seen.filter((r) => r.host === 'example.com').every((r) => r.authorization === BEARER));
  assert.ok(seen.filter((r) => r.host === 'mirror.example.net').every((r) => r.authorization === undefined));
  authFor(undefined);
  const before = await storeContents(dataDir);
  const refused = await rkt('--debug', 'fetch', url.replace('1.0', '2.0'));
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /ERR_APPC_FETCH_FAILED/);
  assert.match(refused.stderr, /answered 401/);
  assert.match(refused.stderr, /auth\.d/);
  assert.deepEqual(await storeContents(dataDir), before);
  // A malformed entry is refused by name, not sent.
  fs.writeFileSync(path.join(local, 'auth.d', 'example.json'), JSON.stringify({ rktKind: 'auth', rktVersion: 'v1', domains: ['example.com'], type: 'basic', credentials: { user: 'alice' } }));
  const invalid = await rkt('--debug', 'fetch', url);
  assert.match(invalid.stderr, /ERR_CONFIG_INVALID/);
  assert.match(invalid.stderr, /type "basic" needs credentials\.user and credentials\.password/);
  authFor(undefined);
});
