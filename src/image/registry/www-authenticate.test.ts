import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('parses bearer and basic challenges, quoted and not, several in one header', () => {
    const [bearer, ...none] = parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    assert.equal(none.length, 0);
    assert.equal(bearer?.scheme, 'bearer');
    assert.deepEqual({ ...bearer?.params }, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' });
    const both = parseWwwAuthenticate('Basic realm="r\\"x", Bearer realm=https://t/token, error=invalid_token');
    assert.equal(both.length, 2);
    assert.deepEqual({ ...both[0]?.params }, { realm: 'r"x' });
    assert.deepEqual({ ...both[1]?.params }, { realm: 'https://t/token', error: 'invalid_token' });
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    assert.deepEqual(parseWwwAuthenticate(['Basic', 'Negotiate']).map((c) => c.scheme), ['basic', 'negotiate']);
  });
});
