import { randomUUID } from 'node:crypto';
import { RktError } from '../errors/rkt-error.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREFIX_PATTERN = /^[0-9a-f-]{1,36}$/;

export function newPodUuid(): string {
  return randomUUID();
}

export function isPodUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/**
 * Picks the one UUID among `known` that starts with `prefix` (case-insensitive), as rkt accepts any
 * unique prefix. The prefix is validated first so that it can never be used as a path.
 */
export function matchPodUuid(prefix: string, known: readonly string[]): string {
  const wanted = prefix.trim().toLowerCase();
  if (!PREFIX_PATTERN.test(wanted)) {
    throw new RktError('pod', 'ERR_POD_UUID_INVALID', `"${prefix}" is not a pod UUID or UUID prefix`, {
      hint: 'pod UUIDs are hexadecimal with dashes; `rkt list` shows them',
    });
  }
  const matches = known.filter((uuid) => uuid.startsWith(wanted));
  if (matches.length === 0) {
    throw new RktError('pod', 'ERR_POD_NOT_FOUND', `no pod matches "${prefix}"`, { hint: '`rkt list` shows the pods' });
  }
  if (matches.length > 1) {
    throw new RktError('pod', 'ERR_POD_UUID_AMBIGUOUS', `ambiguous pod UUID "${prefix}": ${matches.length} pods match`, {
      hint: 'give more characters of the UUID',
    });
  }
  return matches[0]!;
}
