/**
 * The registry client against hostile or broken registries, each a small Node server on loopback:
 * wrong digests, endless and duplicate-key manifests, schema1, media-type confusion, too many
 * layers, credential leaks through redirects and token realms, downgrades, loops and stalls.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../src/image/registry/registry-client.js';
import { resolveRegistryImage } from '../../src/image/registry/resolve-registry-image.js';
import { MEDIA_TYPE } from '../../src/schema/media-types.js';
import { type TestPki, makeTestPki } from '../support/test-ca.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  host: string;
  origin: string;
  requests: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

const open: TestServer[] = [];

async function serve(handler: Handler, tls?: { cert: string; key: string }): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const listener: Handler = (req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  };
  const server = tls ? https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const result: TestServer = {
    host,
    origin: `${tls ? 'https' : 'http'}://${host}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  open.push(result);
  return result;
}

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const descriptor = (mediaType: string, content: string) => ({ mediaType, digest: sha256(content), size: Buffer.byteLength(content) });

function manifestJson(layerCount = 1): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: descriptor(MEDIA_TYPE.ociConfig, '{}'),
    layers: Array.from({ length: layerCount }, (_, i) => descriptor(MEDIA_TYPE.ociLayerGzip, `layer ${i}`)),
  });
}

function client(host: string, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
  return new RegistryClient(host, { insecureHttp: true, insecureTls: false, credentialsFor: () => ({ username: 'u', password: 'secret' }), timeoutMs: 2_000, ...extra });
}

function sendManifest(res: http.ServerResponse, body: string, contentType: string = MEDIA_TYPE.ociManifest): void {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }).end(body);
}

const ref = (host: string, tagOrDigest = 'latest') => ({ registry: host, repository: 'app', ...(tagOrDigest.startsWith('sha256:') ? { digest: tagOrDigest } : { tag: tagOrDigest }) });

describe('registry client against hostile registries', () => {
  let pki: TestPki;
  before(() => {
    pki = makeTestPki();
  });
  after(async () => {
    await Promise.all(open.map((s) => s.close()));
    pki?.remove();
  });

  it('refuses a manifest whose bytes do not match the digest asked for', async () => {
    const server = await serve((_req, res) => sendManifest(res, manifestJson()));
    const asked = sha256('something else');
    await assert.rejects(client(server.host).getManifest('app', asked), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_DIGEST_MISMATCH');
      assert.match(error.message, new RegExp(`registry ${server.host}, repository app, manifest ${asked}: .*digest is ${sha256(manifestJson())}`));
      return true;
    });
  });

  it('refuses a tag response whose Docker-Content-Digest disagrees with its bytes', async () => {
    const server = await serve((_req, res) => {
      res.setHeader('Docker-Content-Digest', sha256('other'));
      sendManifest(res, manifestJson());
    });
    await assert.rejects(client(server.host).getManifest('app', 'latest'), { code: 'ERR_REGISTRY_DIGEST_MISMATCH' });
  });

  it('cuts off a manifest that streams forever at 4 MiB, and one that declares more', async () => {
    const endless = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': MEDIA_TYPE.ociManifest });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    await assert.rejects(client(endless.host).getManifest('app', 'latest'), { code: 'ERR_REGISTRY_TOO_LARGE', message: /longer than the limit of 4194304/ });
    const declared = await serve((_req, res) => res.writeHead(200, { 'Content-Type': MEDIA_TYPE.ociManifest, 'Content-Length': 5 * 1024 * 1024 }).write('{'));
    await assert.rejects(client(declared.host).getManifest('app', 'latest'), { code: 'ERR_REGISTRY_TOO_LARGE', message: /declares 5242880 bytes/ });
  });

  it('times out a server that accepts and never answers', async () => {
    const silent = await serve(() => undefined);
    const started = Date.now();
    await assert.rejects(client(silent.host, { timeoutMs: 300 }).getManifest('app', 'latest'), { code: 'ERR_REGISTRY_TIMEOUT', message: /sent nothing for 300 ms/ });
    assert.ok(Date.now() - started < 5_000);
  });

  it('times out a blob body that stalls half-way', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'Content-Length': 100 }).write('x'.repeat(10)));
    const blob = await client(server.host, { timeoutMs: 300 }).getBlob('app', sha256('x'));
    await assert.rejects(async () => {
      for await (const _chunk of blob.stream) void _chunk;
    }, { code: 'ERR_REGISTRY_TIMEOUT' });
  });

  it('refuses duplicate JSON keys, schema1, and more than 128 layers', async () => {
    const duplicate = manifestJson().replace('{"schemaVersion":2,', '{"schemaVersion":2,"schemaVersion":2,');
    let body = duplicate;
    let type: string = MEDIA_TYPE.ociManifest;
    const server = await serve((_req, res) => sendManifest(res, body, type));
    await assert.rejects(resolveRegistryImage(client(server.host), ref(server.host)), { code: 'ERR_IMAGE_DOCUMENT_INVALID', message: /"schemaVersion" more than once/ });
    body = JSON.stringify({ schemaVersion: 1, name: 'app', tag: 'latest', fsLayers: [] });
    type = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    await assert.rejects(resolveRegistryImage(client(server.host), ref(server.host)), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_MANIFEST_UNSUPPORTED');
      assert.match(error.message, /schema1/);
      return true;
    });
    type = 'application/json';
    await assert.rejects(resolveRegistryImage(client(server.host), ref(server.host)), { code: 'ERR_REGISTRY_MANIFEST_UNSUPPORTED' });
    body = manifestJson(129);
    type = MEDIA_TYPE.ociManifest;
    await assert.rejects(resolveRegistryImage(client(server.host), ref(server.host)), { code: 'ERR_IMAGE_DOCUMENT_INVALID', message: /layers: must be at most 128/ });
  });

  it('refuses index/manifest media-type confusion', async () => {
    let body = manifestJson();
    let type: string = MEDIA_TYPE.ociIndex;
    const server = await serve((_req, res) => sendManifest(res, body, type));
    await assert.rejects(resolveRegistryImage(client(server.host), ref(server.host)), { code: 'ERR_IMAGE_DOCUMENT_INVALID', message: /: index sha256:[0-9a-f]{64} field manifests: expected array/ });
    type = MEDIA_TYPE.dockerManifest;
    await assert.rejects(resolveRegistryImage(client(server.host), ref(server.host)), { code: 'ERR_IMAGE_MEDIA_TYPE', message: /served as application\/vnd\.docker.*says it is application\/vnd\.oci/ });
    body = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociManifest, manifests: [] });
    type = MEDIA_TYPE.ociManifest;
    await assert.rejects(resolveRegistryImage(client(server.host), ref(server.host)), { code: 'ERR_IMAGE_DOCUMENT_INVALID', message: /: manifest sha256:[0-9a-f]{64} field config: expected object/ });
  });

  it('sends no credentials to blob storage on another host, and no token either', async () => {
    const storage = await serve((_req, res) => res.writeHead(200, { 'Content-Length': 4 }).end('blob'));
    const registry = await serve((req, res) => {
      if (req.url?.startsWith('/token')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'tok-123' }));
      } else if (req.headers.authorization !== 'Bearer tok-123') {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${req.headers.host}/token",service="svc"` }).end();
      } else {
        res.writeHead(307, { Location: `http://${storage.host}/storage/blob?sig=1` }).end();
      }
    });
    const blob = await client(registry.host).getBlob('app', sha256('blob'));
    for await (const _chunk of blob.stream) void _chunk;
    assert.deepEqual(storage.requests.map((r) => r.authorization), [undefined]);
    assert.ok(registry.requests.some((r) => r.path.startsWith('/token') && r.authorization === `Basic ${Buffer.from('u:secret').toString('base64')}`));
    assert.ok(registry.requests.some((r) => r.authorization === 'Bearer tok-123'));
  });

  it('asks a plain-HTTP token realm on another host without credentials', async () => {
    const realm = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"anon"}'));
    const registry = await serve((req, res) => {
      if (req.headers.authorization === 'Bearer anon') sendManifest(res, manifestJson());
      else res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${realm.host}/token",service="svc",scope="repository:app:pull,push"` }).end();
    });
    await client(registry.host).getManifest('app', 'latest');
    assert.deepEqual(realm.requests.map((r) => r.authorization), [undefined]);
    assert.match(realm.requests[0]?.path ?? '', /scope=repository%3Aapp%3Apull(&|$)/);
  });

  it('never follows HTTPS to HTTP, even with --insecure-options=http', async () => {
    const plain = await serve((_req, res) => sendManifest(res, manifestJson()));
    const secure = await serve((_req, res) => res.writeHead(302, { Location: `http://${plain.host}/v2/app/manifests/latest` }).end(), { cert: pki.serverCert, key: pki.serverKey });
    await assert.rejects(client(secure.host, { caFile: pki.caCert }).getManifest('app', 'latest'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_HTTP_REFUSED');
      assert.match(error.message, /from HTTPS .* to plain HTTP/);
      return true;
    });
    assert.equal(plain.requests.length, 0);
  });

  it('ends redirect loops and long redirect chains', async () => {
    const loop = await serve((req, res) => res.writeHead(302, { Location: req.url === '/a' ? '/b' : '/a' }).end());
    await assert.rejects(client(loop.host).getManifest('app', 'latest'), { code: 'ERR_REGISTRY_REDIRECT', message: /redirect loop/ });
    let n = 0;
    const chain = await serve((_req, res) => res.writeHead(302, { Location: `/hop${n++}` }).end());
    await assert.rejects(client(chain.host).getManifest('app', 'latest'), { code: 'ERR_REGISTRY_REDIRECT', message: /more than 5 redirects/ });
    assert.ok(chain.requests.length <= 7);
    const withCredentials = await serve((_req, res) => res.writeHead(302, { Location: `http://user:pw@${chain.host}/x` }).end());
    await assert.rejects(client(withCredentials.host).getManifest('app', 'latest'), { code: 'ERR_REGISTRY_REDIRECT', message: /credentials in it/ });
  });

  it('checks that a resumed blob starts where it was asked to', async () => {
    const server = await serve((_req, res) => res.writeHead(206, { 'Content-Range': 'bytes 0-3/4', 'Content-Length': 4 }).end('blob'));
    await assert.rejects(client(server.host).getBlob('app', sha256('blob'), { offset: 2 }), { code: 'ERR_REGISTRY_RANGE' });
    const ignoring = await serve((_req, res) => res.writeHead(200, { 'Content-Length': 4 }).end('blob'));
    const whole = await client(ignoring.host).getBlob('app', sha256('blob'), { offset: 2 });
    assert.equal(whole.offset, 0);
    assert.equal(whole.totalSize, 4);
    whole.stream.resume();
  });
});
