import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDockerReference, parseDockerReference } from './docker-reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseDockerReference', () => {
  it('applies Docker Hub defaults', () => {
    assert.deepEqual(parseDockerReference('busybox'), { registry: 'registry-1.docker.io', repository: 'library/busybox', tag: 'latest' });
    assert.deepEqual(parseDockerReference('user/app:v1'), { registry: 'registry-1.docker.io', repository: 'user/app', tag: 'v1' });
    for (const alias of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'Docker.IO']) {
      assert.deepEqual(parseDockerReference(`${alias}/nginx`), { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest' });
    }
  });

  it('recognises registries by a dot, a port or localhost, and keeps tag and digest', () => {
    assert.deepEqual(parseDockerReference('127.0.0.1:5000/busybox:1.36'), { registry: '127.0.0.1:5000', repository: 'busybox', tag: '1.36' });
    assert.deepEqual(parseDockerReference('localhost/a/b'), { registry: 'localhost', repository: 'a/b', tag: 'latest' });
    assert.deepEqual(parseDockerReference('quay.io/coreos/etcd@' + DIGEST), { registry: 'quay.io', repository: 'coreos/etcd', digest: DIGEST });
    assert.deepEqual(parseDockerReference(`reg:5000/x:t@${DIGEST}`), { registry: 'reg:5000', repository: 'x', tag: 't', digest: DIGEST });
    assert.deepEqual(parseDockerReference('[::1]:5000/x'), { registry: '[::1]:5000', repository: 'x', tag: 'latest' });
  });

  it('refuses what is not a reference, naming the text', () => {
    for (const bad of ['', 'Busybox', 'a//b', 'a/../b', 'busybox:', 'busybox:-x', 'busybox@sha256:abc', `busybox@sha256:${'A'.repeat(64)}`, 'reg:99999/x', 'x y', '127.0.0.1:5000/', 'a/b?c', '-a', `a/${'b'.repeat(300)}`]) {
      assert.throws(() => parseDockerReference(bad), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_IMAGE_REFERENCE_INVALID', bad);
        assert.ok(error.message.includes(JSON.stringify(bad.slice(0, 300))), error.message);
        return true;
      });
    }
  });

  it('formats canonically and round-trips', () => {
    assert.equal(formatDockerReference(parseDockerReference('127.0.0.1:5000/busybox')), '127.0.0.1:5000/busybox:latest');
    assert.equal(formatDockerReference(parseDockerReference('nginx')), 'registry-1.docker.io/library/nginx:latest');
    const text = `reg.example:443/a/b:c@${DIGEST}`;
    assert.equal(formatDockerReference(parseDockerReference(text)), text);
  });
});
