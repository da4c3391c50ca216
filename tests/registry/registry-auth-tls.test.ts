/**
 * TLS and authentication against real docker-registry instances: HTTPS with a test CA and htpasswd
 * basic auth, and HTTPS with token auth served by a token issuer written for the test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDockerReference } from '../../src/image/docker-reference.js';
import { writeOciLayout } from '../../src/image/oci-layout-writer.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/image/registry/registry-client.js';
import { buildCredentialsFor } from '../../src/image/registry/registry-credentials.js';
import { resolveRegistryImage } from '../../src/image/registry/resolve-registry-image.js';
import { type TestRegistry, pushToRegistry, startRegistry, writeHtpasswd } from '../support/registry.js';
import { type TestPki, makeTestPki } from '../support/test-ca.js';
import { type TokenIssuer, startTokenIssuer } from '../support/token-issuer.js';

const USER = 'rkt-user';
const PASSWORD = 's3cret:with:colons';

describe('registry client: TLS and authentication against docker-registry', () => {
  let pki: TestPki;
  let layout: string;
  let basicRegistry: TestRegistry;
  let tokenRegistry: TestRegistry;
  let issuer: TokenIssuer;

  const options = (host: string, extra: Partial<RegistryClientOptions> = {}): RegistryClientOptions => ({
    insecureHttp: false,
    insecureTls: false,
    caFile: pki.caCert,
    timeoutMs: 10_000,
    credentialsFor: buildCredentialsFor(new Map([[host, { user: USER, password: PASSWORD }]]), { dockerConfigPath: null }),
    ...extra,
  });
  const anonymous = () => undefined;

  before(async () => {
    pki = makeTestPki();
    layout = path.join(pki.dir, 'layout');
    await writeOciLayout({ dir: layout, tag: 'v1', layers: [{ files: [{ path: 'hello', type: 'file', content: 'hello' }] }], config: { Cmd: ['/hello'] } });
    const htpasswd = path.join(pki.dir, 'htpasswd');
    writeHtpasswd(htpasswd, USER, PASSWORD);
    const tls = { cert: pki.serverCert, key: pki.serverKey };
    basicRegistry = await startRegistry({ tls, htpasswd });
    await pushToRegistry(`oci:${layout}:v1`, `docker://${basicRegistry.host}/app:v1`, { creds: `${USER}:${PASSWORD}` });
    issuer = await startTokenIssuer({ ...pki, user: USER, password: PASSWORD });
    tokenRegistry = await startRegistry({ tls, token: { realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, rootCertBundle: pki.tokenCert } });
    await pushToRegistry(`oci:${layout}:v1`, `docker://${tokenRegistry.host}/team/app:v1`, { creds: `${USER}:${PASSWORD}` });
  });
  after(async () => {
    await basicRegistry?.stop();
    await tokenRegistry?.stop();
    await issuer?.stop();
    pki?.remove();
  });

  it('pulls over HTTPS with basic auth when the test CA is given', async () => {
    const client = new RegistryClient(basicRegistry.host, options(basicRegistry.host));
    const image = await resolveRegistryImage(client, parseDockerReference(`${basicRegistry.host}/app:v1`));
    assert.equal(image.layers.length, 1);
  });

  it('without the CA fails TLS with a hint, and --insecure-options=tls accepts the certificate', async () => {
    const withoutCa = { ...options(basicRegistry.host) };
    delete withoutCa.caFile;
    await assert.rejects(new RegistryClient(basicRegistry.host, withoutCa).getManifest('app', 'v1'), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_TLS');
      assert.match(error.message, new RegExp(`registry ${basicRegistry.host}, repository app, manifest v1: TLS`));
      assert.match(error.hint ?? '', /--insecure-options=tls/);
      return true;
    });
    const insecure = new RegistryClient(basicRegistry.host, { ...withoutCa, insecureTls: true });
    assert.equal((await insecure.getManifest('app', 'v1')).bytes.length > 0, true);
  });

  it('a 401 without credentials, or with wrong ones, says how to configure them', async () => {
    const noCredentials = new RegistryClient(basicRegistry.host, options(basicRegistry.host, { credentialsFor: anonymous }));
    await assert.rejects(noCredentials.getManifest('app', 'v1'), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_UNAUTHORIZED');
      assert.match(error.message, /no credentials are configured/);
      assert.match(error.hint ?? '', /auth\.d.*\.docker\/config\.json/);
      return true;
    });
    const wrong = new RegistryClient(basicRegistry.host, options(basicRegistry.host, { credentialsFor: () => ({ username: USER, password: 'wrong' }) }));
    await assert.rejects(wrong.getManifest('app', 'v1'), { code: 'ERR_REGISTRY_UNAUTHORIZED', message: /credentials were refused/ });
  });

  it('takes credentials from ~/.docker/config.json', async () => {
    const config = path.join(pki.dir, 'docker-config.json');
    fs.writeFileSync(config, JSON.stringify({ auths: { [`https://${basicRegistry.host}/v1/`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    const client = new RegistryClient(basicRegistry.host, options(basicRegistry.host, { credentialsFor: buildCredentialsFor(new Map(), { dockerConfigPath: config }) }));
    assert.ok((await client.getManifest('app', 'v1')).digest.startsWith('sha256:'));
  });

  it('does the bearer-token flow, caching the token per scope', async () => {
    const client = new RegistryClient(tokenRegistry.host, options(tokenRegistry.host));
    const before = issuer.requests.length;
    const image = await resolveRegistryImage(client, parseDockerReference(`${tokenRegistry.host}/team/app:v1`));
    const blob = await client.getBlob('team/app', image.layers[0]!.digest);
    for await (const _chunk of blob.stream) void _chunk;
    await client.getManifest('team/app', image.manifestDigest);
    const ours = issuer.requests.slice(before);
    assert.deepEqual(ours.map((r) => r.scope), ['repository:team/app:pull']);
    assert.ok(ours[0]?.authorization?.startsWith('Basic '));
  });

  it('a token server that refuses the credentials is a 401 with the hint', async () => {
    const client = new RegistryClient(tokenRegistry.host, options(tokenRegistry.host, { credentialsFor: anonymous }));
    await assert.rejects(client.getManifest('team/app', 'v1'), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_UNAUTHORIZED');
      assert.match(error.message, /token for repository:team\/app:pull: the token server https:\/\/127\.0\.0\.1:\d+ answered 401/);
      assert.match(error.hint ?? '', /auth\.d/);
      return true;
    });
  });
});
