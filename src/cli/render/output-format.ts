/** `--format` of the listing commands: rkt's json and json-pretty, or the default table. */
import { RktError } from '../../errors/rkt-error.js';

export type OutputFormat = 'table' | 'json' | 'json-pretty';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '' || value === 'table') return 'table';
  if (value === 'json' || value === 'json-pretty') return value;
  throw new RktError('usage', 'ERR_FORMAT_UNKNOWN', `--format: unknown format "${value}"`, { hint: 'use json or json-pretty' });
}

export function renderJson(value: unknown, format: 'json' | 'json-pretty'): string {
  return (format === 'json-pretty' ? JSON.stringify(value, null, 2) : JSON.stringify(value)) + '\n';
}
