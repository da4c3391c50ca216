/** Pod commands take a UUID (or prefix) argument or `--uuid-file=FILE`, never both. */
import fs from 'node:fs';
import { RktError } from '../errors/rkt-error.js';

export function podUuidsFrom(args: string[], uuidFile: string | undefined): string[] {
  if (uuidFile !== undefined) {
    if (args.length > 0) throw new RktError('usage', 'ERR_UUID_ARGS', 'give either pod UUIDs or --uuid-file, not both');
    let text: string;
    try {
      text = fs.readFileSync(uuidFile, 'utf8');
    } catch (error) {
      throw new RktError('usage', 'ERR_UUID_FILE_UNREADABLE', `cannot read --uuid-file ${uuidFile}: ${(error as Error).message}`);
    }
    return [text.trim()];
  }
  if (args.length === 0) {
    throw new RktError('usage', 'ERR_UUID_ARGS', 'no pod UUID given', { hint: '`rkt list` shows the pods and their UUIDs' });
  }
  return args;
}
