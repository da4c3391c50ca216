/** How rkt's failures read on stderr: `<command>: <what went wrong>`, then a hint when one helps. */
import { isRktError } from '../errors/rkt-error.js';

export function reportError(command: string, error: unknown, debug: boolean): void {
  const prefix = command === '' ? 'rkt' : command;
  if (isRktError(error)) {
    process.stderr.write(`${prefix}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    if (debug) process.stderr.write(`  code: ${error.code}\n${error.stack ?? ''}\n`);
    return;
  }
  // Anything else is a bug in rkt, not a user's mistake: say so, with the details.
  const text = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`${prefix}: internal error: ${text}\n  hint: rerun with --debug for details and report it as a bug\n`);
}
