import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from './parse-duration.js';

describe('parseDuration', () => {
  it('reads single-unit durations in milliseconds', () => {
    assert.equal(parseDuration('30s', '--grace-period'), 30_000);
    assert.equal(parseDuration('10m', '--grace-period'), 600_000);
    assert.equal(parseDuration('24h', '--grace-period'), 86_400_000);
    assert.equal(parseDuration('500ms', '--grace-period'), 500);
    assert.equal(parseDuration('1500us', '--grace-period'), 1.5);
    assert.equal(parseDuration('1500µs', '--grace-period'), 1.5);
    assert.equal(parseDuration('2000000ns', '--grace-period'), 2);
  });

  it('adds up compound durations, as Go does', () => {
    assert.equal(parseDuration('1h30m', '--x'), 5_400_000);
    assert.equal(parseDuration('1h0m30s', '--x'), 3_630_000);
    assert.equal(parseDuration('1m500ms', '--x'), 60_500);
  });

  it('reads fractions', () => {
    assert.equal(parseDuration('2.5s', '--x'), 2500);
    assert.equal(parseDuration('1.5h', '--x'), 5_400_000);
  });

  it('takes a bare 0 as zero, the only number allowed without a unit', () => {
    assert.equal(parseDuration('0', '--x'), 0);
    assert.equal(parseDuration('0s', '--x'), 0);
  });

  it('refuses what is not a duration, naming the flag and the text', () => {
    for (const text of ['', '10', '1d', 'h', '1h ', ' 1h', '1h30', '-1s', '1x', 's10', '1hh']) {
      assert.throws(
        () => parseDuration(text, '--expire-prepared'),
        (error: Error & { code?: string; category?: string; hint?: string }) => {
          assert.equal(error.code, 'ERR_DURATION_INVALID');
          assert.equal(error.category, 'usage');
          assert.equal(error.message, `--expire-prepared: "${text}" is not a duration`);
          assert.match(error.hint ?? '', /30s/);
          return true;
        },
        JSON.stringify(text),
      );
    }
  });

  it('adds up a unit given twice, as Go does', () => {
    assert.equal(parseDuration('1m1m', '--x'), 120_000);
    assert.equal(parseDuration('1s500ms250ms', '--x'), 1750);
  });
});
