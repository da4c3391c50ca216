/** Go-style durations as rkt's flags take them: `30m`, `1h30m`, `500ms`, `2.5s`. */
import { RktError } from '../errors/rkt-error.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

export function parseDuration(text: string, flag: string): number {
  if (text === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = PART.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new RktError('usage', 'ERR_DURATION_INVALID', `${flag}: "${text}" is not a duration`, {
      hint: 'write durations like 30s, 10m, 1h30m or 24h',
    });
  }
  return total;
}
