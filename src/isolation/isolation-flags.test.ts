import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundingSet, capabilityMask, DEFAULT_CAPABILITIES, formatCapabilityMask, parseCapabilityList } from './capabilities.js';
import { parseCpuMillis, parseMemoryBytes, parseQuantity } from './quantity.js';
import { parseSeccompFlag } from './seccomp-profile.js';

describe('capabilities', () => {
  it('the default fourteen make rkt\'s mask a80425fb', () => {
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
    assert.equal(formatCapabilityMask(capabilityMask(DEFAULT_CAPABILITIES)), '00000000a80425fb');
  });

  it('retain is exactly the list; remove takes from the default', () => {
    assert.deepEqual(boundingSet({ kind: 'retain', names: ['CAP_NET_ADMIN'] }), ['CAP_NET_ADMIN']);
    const removed = boundingSet({ kind: 'remove', names: ['CAP_NET_RAW'] });
    assert.equal(removed.length, 13);
    assert.ok(!removed.includes('CAP_NET_RAW'));
  });

  it('accepts names with or without CAP_, in any case, and refuses unknown ones', () => {
    assert.deepEqual(parseCapabilityList('caps-retain', 'net_admin,CAP_SYS_TIME'), ['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
    assert.throws(() => parseCapabilityList('caps-retain', 'CAP_FLY'), (error: Error & { code?: string }) => error.code === 'ERR_CAPABILITY_UNKNOWN');
  });
});

describe('quantities', () => {
  it('reads Kubernetes suffixes', () => {
    assert.equal(parseMemoryBytes('64Mi'), 64 * 1024 * 1024);
    assert.equal(parseMemoryBytes('1G'), 1e9);
    assert.equal(parseMemoryBytes('5000'), 5000);
    assert.equal(parseCpuMillis('500m'), 500);
    assert.equal(parseCpuMillis('1.5'), 1500);
    assert.equal(parseQuantity('x', '2Ki'), 2048);
  });

  it('refuses what is not a quantity, or out of range', () => {
    for (const bad of ['', 'abc', '1 G', '-5M', '1.2.3', '10X']) assert.throws(() => parseMemoryBytes(bad), (error: Error & { code?: string }) => error.code === 'ERR_QUANTITY_INVALID', bad);
    assert.throws(() => parseMemoryBytes('100'), /4096/);
    assert.throws(() => parseCpuMillis('0'), /1m/);
  });
});

describe('--seccomp', () => {
  it('reads mode, errno and names', () => {
    assert.deepEqual(parseSeccompFlag('mode=remove,errno=ENOTSUP,chmod,@docker/default-blacklist'), { mode: 'remove', errno: 'ENOTSUP', names: ['chmod', '@docker/default-blacklist'] });
    assert.deepEqual(parseSeccompFlag('mode=retain,read'), { mode: 'retain', names: ['read'] });
  });

  it('refuses a missing or bad mode, an unknown errno, no names', () => {
    for (const bad of ['read,write', 'mode=keep,read', 'mode=retain,errno=EWHAT,read', 'mode=remove']) {
      assert.throws(() => parseSeccompFlag(bad), (error: Error & { code?: string }) => error.code === 'ERR_SECCOMP_INVALID', bad);
    }
  });
});
