import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildCredentialsFor, readDockerConfigAuths, registryKeyHost } from './registry-credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'rkt-creds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function dockerConfig(value: unknown): string {
  const path = join(dir, `config-${Math.random()}.json`);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('registry credentials', () => {
  it('maps Docker Hub keys and URLs to hosts', () => {
    assert.equal(registryKeyHost('https://index.docker.io/v1/'), 'registry-1.docker.io');
    assert.equal(registryKeyHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryKeyHost('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
    assert.equal(registryKeyHost('Quay.io'), 'quay.io');
  });

  it('reads base64 auth and username/password from ~/.docker/config.json', () => {
    const path = dockerConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:pa:ss').toString('base64') },
        '127.0.0.1:5000': { username: 'u', password: 'p' },
        'empty.example': {},
      },
      credsStore: 'desktop',
    });
    const auths = readDockerConfigAuths(path);
    assert.deepEqual(auths.get('registry-1.docker.io'), { username: 'hub', password: 'pa:ss' });
    assert.deepEqual(auths.get('127.0.0.1:5000'), { username: 'u', password: 'p' });
    assert.equal(auths.has('empty.example'), false);
    assert.equal(readDockerConfigAuths(join(dir, 'missing.json')).size, 0);
  });

  it('refuses a malformed config naming the file', () => {
    assert.throws(() => readDockerConfigAuths(dockerConfig({ auths: { x: { auth: 'bm9jb2xvbg==' } } })), { code: 'ERR_CONFIG_INVALID', message: /"auth" of "x"/ });
    assert.throws(() => readDockerConfigAuths(dockerConfig('{"auths":{},"auths":{}}')), { code: 'ERR_CONFIG_INVALID', message: /more than once/ });
  });

  it('prefers rkt auth.d over Docker, and looks up by canonical host', () => {
    const path = dockerConfig({ auths: { 'docker.io': { username: 'docker', password: 'd' }, 'other:1': { username: 'o', password: 'o' } } });
    const credentialsFor = buildCredentialsFor(new Map([['index.docker.io', { user: 'rkt', password: 'r' }]]), { dockerConfigPath: path });
    assert.deepEqual(credentialsFor('registry-1.docker.io'), { username: 'rkt', password: 'r' });
    assert.deepEqual(credentialsFor('docker.io'), { username: 'rkt', password: 'r' });
    assert.deepEqual(credentialsFor('other:1'), { username: 'o', password: 'o' });
    assert.equal(credentialsFor('other:2'), undefined);
    assert.equal(buildCredentialsFor(new Map(), { dockerConfigPath: null })('other:1'), undefined);
  });
});
