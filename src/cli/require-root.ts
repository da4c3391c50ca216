import { RktError } from '../errors/rkt-error.js';

/** rkt's rule: commands that create, enter or delete pods need root (reference §1.4). */
export function requireRoot(command: string): void {
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    throw new RktError('system', 'ERR_NOT_ROOT', `cannot run as unprivileged user: rkt ${command} needs root`, {
      hint: `run it as root, e.g. sudo rkt ${command} ...`,
    });
  }
}
