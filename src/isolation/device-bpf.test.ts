import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileDeviceFilter, encodeDeviceFilter, runDeviceFilter } from './device-bpf.js';

describe('the v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE)', () => {
  const prog = compileDeviceFilter();

  it('allows the default nodes read, write and mknod; pts by any minor', () => {
    for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 77], [10, 200]] as const) {
      for (const access of ['r', 'w', 'm'] as const) assert.equal(runDeviceFilter(prog, 'c', major, minor, access), true, `c ${major}:${minor} ${access}`);
    }
  });

  it('allows mknod of any device but no read or write of others (a disk, /dev/mem, /dev/kmsg)', () => {
    assert.equal(runDeviceFilter(prog, 'b', 8, 0, 'm'), true);
    assert.equal(runDeviceFilter(prog, 'b', 8, 0, 'r'), false);
    assert.equal(runDeviceFilter(prog, 'b', 8, 0, 'w'), false);
    assert.equal(runDeviceFilter(prog, 'c', 1, 1, 'r'), false, '/dev/mem');
    assert.equal(runDeviceFilter(prog, 'c', 1, 11, 'w'), false, '/dev/kmsg');
    assert.equal(runDeviceFilter(prog, 'c', 1, 3, 'r'), true);
    assert.equal(runDeviceFilter(prog, 'b', 1, 3, 'r'), false, 'the type matters');
  });

  it('encodes 8-byte instructions: code, regs, off, imm', () => {
    const bytes = encodeDeviceFilter(prog);
    assert.equal(bytes.length, prog.length * 8);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0], 'r2 = *(u32 *)(r1 + 0)');
    assert.deepEqual([...bytes.subarray(-8)], [0x95, 0, 0, 0, 0, 0, 0, 0], 'exit');
  });
});
