import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageIsolators } from './appc-isolators.js';

describe('imageIsolators', () => {
  it('maps the isolators rkt applied to the flags\' meaning', () => {
    const { isolators, ignored } = imageIsolators('image example.com/app', [
      { name: 'resource/memory', value: { request: '32Mi', limit: '64Mi' } },
      { name: 'resource/cpu', value: { limit: '500m' } },
      { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_NET_BIND_SERVICE', 'chown'] } },
      { name: 'os/linux/seccomp-remove-set', value: { set: ['@docker/default-blacklist', 'chmod'], errno: 'ENOTSUP' } },
      { name: 'os/linux/oom-score-adj', value: 100 },
      { name: 'os/linux/cpu-shares', value: 512 },
      { name: 'os/linux/no-new-privileges', value: true },
    ]);
    assert.deepEqual(isolators, {
      memoryBytes: 64 * 2 ** 20,
      cpuMillis: 500,
      capabilities: { kind: 'retain', names: ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN'] },
      seccomp: { mode: 'remove', names: ['@docker/default-blacklist', 'chmod'], errno: 'ENOTSUP' },
      oomScoreAdj: 100,
      cpuShares: 512,
    });
    assert.deepEqual(ignored, []);
  });

  it('names what it does not apply', () => {
    const { isolators, ignored } = imageIsolators('image example.com/app', [
      { name: 'resource/network-bandwidth', value: { limit: '1G' } },
      { name: 'resource/memory', value: { request: '32Mi' } },
      { name: 'os/linux/no-new-privileges', value: false },
    ]);
    assert.deepEqual(isolators, {});
    assert.deepEqual(ignored, [
      'resource/network-bandwidth (not applied by rkt)',
      'resource/memory without a limit (a request alone is not enforced)',
      'os/linux/no-new-privileges false (rkt sets no_new_privs for every app)',
    ]);
  });

  it('refuses bad values, naming the image and the isolator', () => {
    for (const [isolator, message] of [
      [{ name: 'resource/memory', value: { limit: 'lots' } }, /isolator resource\/memory: "lots" is not a quantity/],
      [{ name: 'resource/memory', value: { limit: '1' } }, /isolator resource\/memory: must be between 4096 bytes/],
      [{ name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_NOPE'] } }, /isolator os\/linux\/capabilities-remove-set: unknown capability "CAP_NOPE"/],
      [{ name: 'os/linux/capabilities-retain-set', value: { set: [] } }, /needs \{"set": \[names\.\.\.\]\}/],
      [{ name: 'os/linux/seccomp-retain-set', value: { set: ['read'], errno: 'EWHAT' } }, /unknown errno "EWHAT"/],
      [{ name: 'os/linux/oom-score-adj', value: 2000 }, /from -1000 to 1000, not 2000/],
      [{ name: 'os/linux/no-new-privileges', value: 'yes' }, /must be true or false/],
    ] as const) {
      assert.throws(() => imageIsolators('image example.com/app', [isolator]), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_IMAGE_ISOLATOR_INVALID');
        assert.match(error.message, /^image example\.com\/app: isolator /);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it('refuses two capabilities or two seccomp isolators, as appc does', () => {
    assert.throws(() => imageIsolators('image i', [
      { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN'] } },
      { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_KILL'] } },
    ]), /only one capabilities isolator/);
    assert.throws(() => imageIsolators('image i', [
      { name: 'os/linux/seccomp-retain-set', value: { set: ['read'] } },
      { name: 'os/linux/seccomp-remove-set', value: { set: ['chmod'] } },
    ]), /only one seccomp isolator/);
  });
});
