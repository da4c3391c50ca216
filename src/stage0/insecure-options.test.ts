import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSECURE_OPTIONS, parseInsecureOptions } from './insecure-options.js';

const sorted = (set: Set<string>): string[] => [...set].sort();

describe('parseInsecureOptions', () => {
  it('reads a comma list of single options', () => {
    assert.deepEqual(sorted(parseInsecureOptions('image,tls')), ['image', 'tls']);
    assert.deepEqual(sorted(parseInsecureOptions('ondisk')), ['ondisk']);
  });

  it('ignores blanks around words and empty words', () => {
    assert.deepEqual(sorted(parseInsecureOptions(' image , ,seccomp,')), ['image', 'seccomp']);
  });

  it('turns nothing off for "none" or an empty value', () => {
    assert.equal(parseInsecureOptions('none').size, 0);
    assert.equal(parseInsecureOptions('').size, 0);
  });

  it('expands the groups', () => {
    assert.deepEqual(sorted(parseInsecureOptions('all-fetch')), ['http', 'image', 'pubkey', 'tls']);
    assert.deepEqual(sorted(parseInsecureOptions('all-run')), ['capabilities', 'paths', 'seccomp']);
    assert.deepEqual(sorted(parseInsecureOptions('all')), [...INSECURE_OPTIONS].sort());
    assert.equal(INSECURE_OPTIONS.length, 8);
  });

  it('combines groups and single options without duplicates', () => {
    assert.deepEqual(sorted(parseInsecureOptions('all-run,image,seccomp,none')), ['capabilities', 'image', 'paths', 'seccomp']);
  });

  it('refuses an unknown word, listing the valid ones', () => {
    assert.throws(
      () => parseInsecureOptions('image,imgae'),
      (error: Error & { code?: string; category?: string; hint?: string }) => {
        assert.equal(error.code, 'ERR_INSECURE_OPTION_UNKNOWN');
        assert.equal(error.category, 'usage');
        assert.match(error.message, /unknown value "imgae"/);
        assert.match(error.hint ?? '', /all-fetch/);
        assert.match(error.hint ?? '', /seccomp/);
        return true;
      },
    );
  });

  it('is case-sensitive, as rkt is', () => {
    assert.throws(() => parseInsecureOptions('Image'), /unknown value "Image"/);
  });
});
