import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyWhiteout, normalizeEntryName } from './layer-entry-name.js';

describe('normalizeEntryName', () => {
  it('strips ./ and / prefixes, empty and . components', () => {
    assert.equal(normalizeEntryName('./a//b/./c/'), '/a/b/c');
    assert.equal(normalizeEntryName('/etc/passwd'), '/etc/passwd');
    assert.equal(normalizeEntryName('./'), '/');
  });
  it('refuses .. components, NUL bytes and depth bombs', () => {
    for (const name of ['../x', 'a/../../x', 'a/..', '..']) {
      assert.throws(() => normalizeEntryName(name), { code: 'ENTRY_NAME_INVALID', entry: name });
    }
    assert.throws(() => normalizeEntryName('a\0b'), { code: 'ENTRY_NAME_INVALID' });
    assert.throws(() => normalizeEntryName('d/'.repeat(257)), { code: 'LIMIT_PATH_DEPTH' });
    assert.equal(normalizeEntryName('a..b/..c'), '/a..b/..c');
  });
});

describe('classifyWhiteout', () => {
  it('recognises whiteouts, opaque markers and aufs metadata', () => {
    assert.deepEqual(classifyWhiteout('/a/.wh.b', 'a/.wh.b'), { kind: 'remove', path: '/a/b' });
    assert.deepEqual(classifyWhiteout('/.wh.b', '.wh.b'), { kind: 'remove', path: '/b' });
    assert.deepEqual(classifyWhiteout('/a/.wh..wh..opq', 'x'), { kind: 'opaque', directory: '/a' });
    assert.deepEqual(classifyWhiteout('/.wh..wh.plnk', 'x'), { kind: 'aufs-metadata' });
    assert.deepEqual(classifyWhiteout('/a/b.wh.c', 'x'), { kind: 'none' });
  });
  it('refuses whiteouts that name nothing, . or ..', () => {
    for (const base of ['.wh.', '.wh..', '.wh...']) {
      assert.throws(() => classifyWhiteout(`/d/${base}`, `d/${base}`), { code: 'WHITEOUT_INVALID', entry: `d/${base}` });
    }
  });
});
