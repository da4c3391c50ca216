import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNetFlags } from './net-flags.js';

describe('parseNetFlags', () => {
  it('defaults to the default network, also for a bare --net (an empty value)', () => {
    assert.deepEqual(parseNetFlags([]), { mode: 'cni', networks: [{ name: 'default', args: '' }] });
    assert.deepEqual(parseNetFlags(['']), { mode: 'cni', networks: [{ name: 'default', args: '' }] });
  });

  it('takes host and none alone', () => {
    assert.deepEqual(parseNetFlags(['host']), { mode: 'host' });
    assert.deepEqual(parseNetFlags(['none']), { mode: 'none' });
    assert.throws(() => parseNetFlags(['host', 'default']), /--net=host cannot be combined/);
    assert.throws(() => parseNetFlags(['none,default']), /--net=none cannot be combined/);
  });

  it('collects networks across commas and repeated flags, with CNI arguments, in order', () => {
    assert.deepEqual(parseNetFlags(['default,br0:IP=10.1.0.5;FOO=bar', 'other']), {
      mode: 'cni',
      networks: [
        { name: 'default', args: '' },
        { name: 'br0', args: 'IP=10.1.0.5;FOO=bar' },
        { name: 'other', args: '' },
      ],
    });
  });

  it('refuses repeated names, bad names and bad arguments', () => {
    assert.throws(() => parseNetFlags(['default', 'default']), /given more than once/);
    assert.throws(() => parseNetFlags(['../x']), /not a network name/);
    assert.throws(() => parseNetFlags(['br0:IP']), /"IP" is not K=V/);
    assert.throws(() => parseNetFlags(['all:K=V']), /takes no plugin arguments/);
    assert.throws(() => parseNetFlags(['a,,b']), /empty network name/);
  });
});
