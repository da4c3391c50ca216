import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPodUuid, matchPodUuid, newPodUuid } from './pod-uuid.js';

const KNOWN = [
  'a1b2c3d4-0000-4000-8000-000000000001',
  'a1b2ffff-0000-4000-8000-000000000002',
  '0f0f0f0f-1111-4111-9111-111111111111',
];

function assertPodError(prefix: string, code: string, pattern: RegExp): void {
  assert.throws(
    () => matchPodUuid(prefix, KNOWN),
    (error: Error & { code?: string; category?: string }) => {
      assert.equal(error.code, code, error.message);
      assert.equal(error.category, 'pod');
      assert.match(error.message, pattern);
      return true;
    },
    prefix,
  );
}

describe('newPodUuid and isPodUuid', () => {
  it('makes distinct lower-case UUIDs that isPodUuid accepts', () => {
    const a = newPodUuid();
    const b = newPodUuid();
    assert.notEqual(a, b);
    assert.ok(isPodUuid(a), a);
    assert.equal(a, a.toLowerCase());
  });

  it('accepts only whole lower-case UUIDs', () => {
    assert.ok(isPodUuid(KNOWN[0]!));
    assert.equal(isPodUuid(KNOWN[0]!.toUpperCase()), false);
    assert.equal(isPodUuid(KNOWN[0]!.slice(0, 35)), false);
    assert.equal(isPodUuid(`${KNOWN[0]!}x`), false);
    assert.equal(isPodUuid('lost+found'), false);
  });
});

describe('matchPodUuid', () => {
  it('finds the one UUID a unique prefix names', () => {
    assert.equal(matchPodUuid('0f', KNOWN), KNOWN[2]);
    assert.equal(matchPodUuid('a1b2c', KNOWN), KNOWN[0]);
    assert.equal(matchPodUuid('a1b2c3d4-0000', KNOWN), KNOWN[0]);
  });

  it('finds a UUID given in full', () => {
    assert.equal(matchPodUuid(KNOWN[1]!, KNOWN), KNOWN[1]);
  });

  it('ignores case and surrounding blanks', () => {
    assert.equal(matchPodUuid('A1B2FF', KNOWN), KNOWN[1]);
    assert.equal(matchPodUuid('  0F0F \n', KNOWN), KNOWN[2]);
  });

  it('refuses a prefix that several UUIDs share', () => {
    assertPodError('a1b2', 'ERR_POD_UUID_AMBIGUOUS', /ambiguous pod UUID "a1b2": 2 pods match/);
  });

  it('says so when no UUID matches', () => {
    assertPodError('ffff', 'ERR_POD_NOT_FOUND', /no pod matches "ffff"/);
    assert.throws(() => matchPodUuid('a1', []), { code: 'ERR_POD_NOT_FOUND' });
  });

  it('refuses a prefix that is not hexadecimal with dashes, so it can never be a path', () => {
    for (const prefix of ['../x', '', ' ', 'a1b2/..', 'zz', '*', 'a1b2c3d4-0000-4000-8000-0000000000011']) {
      assertPodError(prefix, 'ERR_POD_UUID_INVALID', /is not a pod UUID or UUID prefix/);
    }
  });
});
