/** `--insecure-options`: the protections a user chose to turn off (reference §1.3). */
import { RktError } from '../errors/rkt-error.js';

export const INSECURE_OPTIONS = ['image', 'tls', 'ondisk', 'http', 'pubkey', 'capabilities', 'paths', 'seccomp'] as const;
export type InsecureOption = (typeof INSECURE_OPTIONS)[number];

const GROUPS: Record<string, readonly InsecureOption[]> = {
  none: [],
  'all-fetch': ['image', 'tls', 'http', 'pubkey'],
  'all-run': ['capabilities', 'paths', 'seccomp'],
  all: INSECURE_OPTIONS,
};

export function parseInsecureOptions(text: string): Set<InsecureOption> {
  const chosen = new Set<InsecureOption>();
  for (const word of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const group = GROUPS[word];
    if (group) group.forEach((option) => chosen.add(option));
    else if ((INSECURE_OPTIONS as readonly string[]).includes(word)) chosen.add(word as InsecureOption);
    else {
      throw new RktError('usage', 'ERR_INSECURE_OPTION_UNKNOWN', `--insecure-options: unknown value "${word}"`, {
        hint: `valid values: ${[...Object.keys(GROUPS), ...INSECURE_OPTIONS].join(', ')}`,
      });
    }
  }
  return chosen;
}
