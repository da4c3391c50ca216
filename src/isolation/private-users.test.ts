import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { allocateUserRange, PRIVATE_USERS_COUNT, releaseUserRange, shiftOwnership, sweepUserRanges } from './private-users.js';

describe('private-users ranges', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-ranges-'));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('claims rand(1..0x7FFF) << 16 and never hands out a range in use', () => {
    const draws = [5, 5, 5, 9];
    const random = () => draws.shift()!;
    const first = allocateUserRange(dataDir, 'pod-a', random);
    const second = allocateUserRange(dataDir, 'pod-b', random);
    assert.deepEqual(first, { shift: 5 * 65536, count: PRIVATE_USERS_COUNT });
    assert.deepEqual(second, { shift: 9 * 65536, count: PRIVATE_USERS_COUNT }, 'the taken block is skipped');
    assert.equal(fs.readFileSync(path.join(dataDir, 'private-users', String(5 * 65536)), 'utf8'), 'pod-a\n');
  });

  it('gives up with ERR_PRIVATE_USERS_EXHAUSTED when every try is taken', () => {
    assert.throws(() => allocateUserRange(dataDir, 'pod-c', () => 5), { code: 'ERR_PRIVATE_USERS_EXHAUSTED' });
  });

  it('releases only the pod\'s own range', () => {
    releaseUserRange(dataDir, 'pod-b', 5 * 65536);
    assert.ok(fs.existsSync(path.join(dataDir, 'private-users', String(5 * 65536))), 'not pod-b\'s');
    releaseUserRange(dataDir, 'pod-a', 5 * 65536);
    assert.ok(!fs.existsSync(path.join(dataDir, 'private-users', String(5 * 65536))));
    releaseUserRange(dataDir, 'pod-a', 5 * 65536); // gone already: fine
  });

  it('sweeps the ranges of pods that no longer exist, and only those', () => {
    const live = allocateUserRange(dataDir, 'pod-live', () => 100);
    const gone = allocateUserRange(dataDir, 'pod-gone', () => 101);
    sweepUserRanges(dataDir, () => new Set(['pod-live', 'pod-b']));
    assert.ok(fs.existsSync(path.join(dataDir, 'private-users', String(live.shift))));
    assert.ok(!fs.existsSync(path.join(dataDir, 'private-users', String(gone.shift))));
    assert.ok(fs.existsSync(path.join(dataDir, 'private-users', String(9 * 65536))), 'pod-b\'s range');
  });

  it('shifts ownership of a tree, keeping set-user-ID bits', () => {
    const dir = path.join(dataDir, 'vol');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sub', 'suid'), '');
    fs.chownSync(path.join(dir, 'sub', 'suid'), 7, 8);
    fs.chmodSync(path.join(dir, 'sub', 'suid'), 0o4755);
    fs.symlinkSync('sub', path.join(dir, 'link'));
    shiftOwnership(dir, 65536);
    const suid = fs.statSync(path.join(dir, 'sub', 'suid'));
    assert.deepEqual([suid.uid, suid.gid, suid.mode & 0o7777], [65536 + 7, 65536 + 8, 0o4755]);
    assert.equal(fs.lstatSync(path.join(dir, 'link')).uid, 65536);
    assert.equal(fs.statSync(dir).uid, 65536);
  });
});
