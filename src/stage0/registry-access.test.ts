import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { registryAccess } from './registry-access.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-registry-access-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

describe('registryAccess', () => {
  it('takes credentials from auth.d dockerAuth first, then ~/.docker/config.json, for that exact host only', () => {
    const local = path.join(base, 'etc');
    fs.mkdirSync(path.join(local, 'auth.d'), { recursive: true });
    fs.writeFileSync(path.join(local, 'auth.d', 'r.json'), JSON.stringify({ rktKind: 'dockerAuth', rktVersion: 'v1', registries: ['127.0.0.1:5000'], credentials: { user: 'rkt-user', password: 'p1' } }));
    const dockerConfig = path.join(base, 'config.json');
    const auth = (text: string) => Buffer.from(text).toString('base64');
    fs.writeFileSync(dockerConfig, JSON.stringify({ auths: { '127.0.0.1:5000': { auth: auth('docker-user:x') }, 'https://index.docker.io/v1/': { auth: auth('hub:pa:ss') }, 'quay.io': {} } }));
    const access = registryAccess(new Set(['http']), { system: path.join(base, 'none'), local }, dockerConfig);
    assert.equal(access.insecureHttp, true);
    assert.equal(access.insecureTls, false);
    assert.deepEqual(access.credentialsFor('127.0.0.1:5000'), { username: 'rkt-user', password: 'p1' });
    assert.deepEqual(access.credentialsFor('registry-1.docker.io'), { username: 'hub', password: 'pa:ss' });
    assert.equal(access.credentialsFor('127.0.0.1'), undefined);
    assert.equal(access.credentialsFor('evil.example.com'), undefined);
    assert.equal(access.credentialsFor('quay.io'), undefined);
  });

  it('gives appc fetches the auth.d "auth" header of the URL\'s host (and port) only; refuses "aws" by name', () => {
    const local = path.join(base, 'appc-auth');
    fs.mkdirSync(path.join(local, 'auth.d'), { recursive: true });
    const entry = (domains: string[], type: string, credentials: object) => JSON.stringify({ rktKind: 'auth', rktVersion: 'v1', domains, type, credentials });
    fs.writeFileSync(path.join(local, 'auth.d', 'a.json'), entry(['example.com'], 'basic', { user: 'alice', password: 'pa:ss' }));
    fs.writeFileSync(path.join(local, 'auth.d', 'b.json'), entry(['example.com:8443'], 'oauth', { token: 'tok' }));
    fs.writeFileSync(path.join(local, 'auth.d', 'c.json'), entry(['aws.example.com'], 'aws', {}));
    const authorizationFor = registryAccess(new Set(), { system: path.join(base, 'none'), local }, path.join(base, 'missing.json')).appc!.authorizationFor!;
    assert.equal(authorizationFor(new URL('https://example.com/x.aci')), `Basic ${Buffer.from('alice:pa:ss').toString('base64')}`);
    assert.equal(authorizationFor(new URL('https://example.com:8443/x.aci')), 'Bearer tok');
    assert.equal(authorizationFor(new URL('https://mirror.example.com/x.aci')), undefined);
    assert.throws(() => authorizationFor(new URL('https://aws.example.com/x.aci')), { code: 'ERR_CONFIG_UNSUPPORTED' });
  });

  it('works without any configuration', () => {
    const access = registryAccess(new Set(), { system: path.join(base, 'a'), local: path.join(base, 'b') }, path.join(base, 'missing.json'));
    assert.equal(access.credentialsFor('docker.io'), undefined);
  });
});
