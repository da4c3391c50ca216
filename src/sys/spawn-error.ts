/**
 * The error of a spawnSync that really failed. A child that exits without reading the input it was
 * given makes Node report EPIPE although the child ran and said what it had to say (a CNI plugin's
 * error JSON, a hook's exit status): then its exit status, not EPIPE, tells what happened, as Go's
 * exec (and so runc and rkt) judged it.
 */
import type { SpawnSyncReturns } from 'node:child_process';

export function spawnError(result: SpawnSyncReturns<string | Buffer>): Error | undefined {
  const error = result.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'EPIPE' && result.status !== null) return undefined;
  return error;
}
