import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAgo, formatRktTime } from './time.js';

// Each test file runs in its own process: the zone set here affects this file only.
process.env.TZ = 'UTC';

describe('formatRktTime', () => {
  const SHAPE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})? [+-]\d{4} [A-Za-z0-9+:-]+$/;

  it('prints Go\'s "2006-01-02 15:04:05.999 -0700 MST" layout, in UTC here', () => {
    const text = formatRktTime(new Date('2024-03-05T07:08:09.123Z'));
    assert.equal(text, '2024-03-05 07:08:09.123 +0000 UTC');
    assert.match(text, SHAPE);
  });

  it('trims trailing zeros of the milliseconds and drops the dot when there are none', () => {
    assert.equal(formatRktTime(new Date('2024-12-31T23:59:59.120Z')), '2024-12-31 23:59:59.12 +0000 UTC');
    assert.equal(formatRktTime(new Date('2024-12-31T23:59:59.100Z')), '2024-12-31 23:59:59.1 +0000 UTC');
    assert.equal(formatRktTime(new Date('2024-12-31T23:59:59.007Z')), '2024-12-31 23:59:59.007 +0000 UTC');
    assert.equal(formatRktTime(new Date('2024-01-01T00:00:00.000Z')), '2024-01-01 00:00:00 +0000 UTC');
  });

  it('prints the local offset with its sign, hours and minutes', (t) => {
    t.after(() => {
      process.env.TZ = 'UTC';
    });
    process.env.TZ = 'America/New_York';
    assert.equal(formatRktTime(new Date('2024-01-15T12:00:00Z')), '2024-01-15 07:00:00 -0500 EST');
    process.env.TZ = 'Asia/Kolkata';
    assert.match(formatRktTime(new Date('2024-01-15T12:00:00Z')), /^2024-01-15 17:30:00 \+0530 \S+$/);
    process.env.TZ = 'America/St_Johns';
    assert.match(formatRktTime(new Date('2024-01-15T12:00:00Z')), /^2024-01-15 08:30:00 -0330 \S+$/);
  });
});

describe('formatAgo', () => {
  const now = new Date('2024-06-01T12:00:00Z');
  const before = (seconds: number): Date => new Date(now.getTime() - seconds * 1000);

  it('says "now" for less than a second, and for a time in the future', () => {
    assert.equal(formatAgo(now, now), 'now');
    assert.equal(formatAgo(before(0.4), now), 'now');
    assert.equal(formatAgo(before(-3600), now), 'now');
  });

  it('uses the largest whole unit, singular for one', () => {
    assert.equal(formatAgo(before(1), now), '1 second ago');
    assert.equal(formatAgo(before(59), now), '59 seconds ago');
    assert.equal(formatAgo(before(60), now), '1 minute ago');
    assert.equal(formatAgo(before(119), now), '1 minute ago');
    assert.equal(formatAgo(before(2 * 3600 + 59 * 60), now), '2 hours ago');
    assert.equal(formatAgo(before(24 * 3600), now), '1 day ago');
    assert.equal(formatAgo(before(13 * 24 * 3600), now), '1 week ago');
    assert.equal(formatAgo(before(45 * 24 * 3600), now), '1 month ago');
    assert.equal(formatAgo(before(3 * 365 * 24 * 3600), now), '3 years ago');
  });

  it('measures from the current time by default', () => {
    assert.equal(formatAgo(new Date(Date.now() - 5 * 60_000 - 500)), '5 minutes ago');
  });
});
