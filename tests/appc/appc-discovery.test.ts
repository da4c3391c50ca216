/**
 * appc names found by meta discovery on a local HTTPS server (a test CA given to rkt through
 * SSL_CERT_FILE; example.com reached at 127.0.0.1 through RKT_APPC_RESOLVE), keys added with
 * `rkt trust`, images and dependencies fetched, verified and run; ACIs by URL with ETag caching.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildAci } from '../support/aci-builder.js';
import { GpgHome, type TestKey } from '../support/gpg-keys.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';
import { makeTestPki, type TestPki } from '../support/test-ca.js';

const dataDir = makeDataDir('appc-discovery');
const work = path.join(dataDir, 'work');
const local = path.join(dataDir, 'local-config');
const gpg = new GpgHome();
let key: TestKey;
let pki: TestPki;
let server: https.Server;
let env: NodeJS.ProcessEnv;
const files = new Map<string, Buffer>();
const requests: { path: string; status: number }[] = [];

const rkt = (...args: string[]) => runRkt(dataDir, [`--system-config=${path.join(dataDir, 'system-config')}`, `--local-config=${local}`, ...args], { env });

const TEMPLATE = 'https://example.com/images/{name}-{version}-{os}-{arch}.{ext}';

function page(metas: string): Buffer {
  return Buffer.from(`<!DOCTYPE html><html><head>${metas}</head><body></body></html>`);
}

async function publish(name: string, version: string, spec: Omit<Parameters<typeof buildAci>[0], 'name' | 'version'>, manifestName = name): Promise<string> {
  const file = path.join(work, `${name.replace(/\//g, '_')}-${version}.aci`);
  fs.writeFileSync(file, await buildAci({ ...spec, name: manifestName, version }));
  key.sign(file);
  const base = `/images/${name}-${version}-linux-amd64`;
  files.set(`${base}.aci`, fs.readFileSync(file));
  files.set(`${base}.aci.asc`, fs.readFileSync(`${file}.asc`));
  return file;
}

before(async () => {
  fs.mkdirSync(work, { recursive: true });
  key = gpg.makeKey('Publisher <keys@example.com>');
  pki = makeTestPki();
  // A server certificate for example.com, from the test CA.
  fs.writeFileSync(path.join(pki.dir, 'example.ext'), 'subjectAltName=DNS:example.com\nextendedKeyUsage=serverAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'example.key', '-out', 'example.csr', '-subj', '/CN=example.com'], { cwd: pki.dir, stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', 'example.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'example.crt', '-days', '2', '-extfile', 'example.ext'], { cwd: pki.dir, stdio: 'ignore' });
  files.set('/?ac-discovery=1', page(`<meta name="ac-discovery" content="example.com ${TEMPLATE}"><meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg">`));
  files.set('/pubkeys.gpg', fs.readFileSync(key.publicKeyFile));
  server = https.createServer({ key: fs.readFileSync(path.join(pki.dir, 'example.key')), cert: fs.readFileSync(path.join(pki.dir, 'example.crt')) }, (req, res) => {
    const body = files.get(req.url ?? '');
    const etag = body ? `"${body.length}-${body.subarray(-16).toString('hex')}"` : undefined;
    const status = body === undefined ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
    requests.push({ path: req.url ?? '', status });
    res.writeHead(status, etag ? { ETag: etag } : {});
    res.end(status === 200 ? body : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env = { ...process.env, SSL_CERT_FILE: pki.caCert, RKT_APPC_RESOLVE: `example.com=127.0.0.1:${(server.address() as AddressInfo).port}` };
  await publish('example.com/hello/base', '1', { busybox: true, files: { 'etc/motd': 'base motd\n', 'base-file': 'from the dependency\n' } });
  await publish('example.com/hello', '1.0', {
    app: { exec: ['/bin/sh', '-c', 'cat /etc/motd /base-file'], user: '0', group: '0' },
    dependencies: [{ imageName: 'example.com/hello/base', labels: [{ name: 'version', value: '1' }] }],
    files: { 'etc/motd': 'hello motd\n' },
  });
  await publish('example.com/other', '1.0', { busybox: true }, 'example.com/hello');
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

test('rkt trust --prefix example.com/hello KEY, then rkt run example.com/hello:1.0: discovered, verified, fetched with its dependency, run', async () => {
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
});

test('a served image whose manifest names another image is refused', async () => {
  const result = await rkt('--debug', 'fetch', 'example.com/other:1.0');
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /ERR_TRUST_NAME_MISMATCH/);
  assert.match(result.stderr, /names it example\.com\/hello, but example\.com\/other was asked for/);
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
