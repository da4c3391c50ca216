/**
 * An appc image manifest's `app.isolators` as rkt's per-app isolators (reference §4.2, ace.md):
 * the ones rkt applied are applied, with the same meaning as the command-line flags that override
 * them kind by kind (`--memory` replaces `resource/memory`, `--caps-retain` or `--caps-remove`
 * replace either capabilities isolator...). The executor "MUST tell the user which isolators were
 * ignored" (ace.md): those rkt does not apply are named in a warning, not dropped silently.
 */
import { RktError, isRktError } from '../errors/rkt-error.js';
import { parseCapabilityList, type CapabilityIsolator } from '../isolation/capabilities.js';
import { parseCpuMillis, parseMemoryBytes } from '../isolation/quantity.js';
import { checkSeccompIsolator, type SeccompIsolator } from '../isolation/seccomp-profile.js';
import type { AppIsolators } from './resolve-app.js';

export interface AppcIsolator {
  name: string;
  value: unknown;
}

export interface ImageIsolators {
  isolators: AppIsolators;
  /** What was not applied, and why: for the user's warnings. */
  ignored: string[];
}

function invalid(image: string, name: string, problem: string): RktError {
  return new RktError('image', 'ERR_IMAGE_ISOLATOR_INVALID', `image ${image}: isolator ${name}: ${problem}`, {
    hint: 'see the appc spec (ace.md, "Isolators") for the value each isolator takes',
  });
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

function stringSet(image: string, name: string, value: unknown): string[] {
  const set = record(value)?.set;
  if (!Array.isArray(set) || set.length === 0 || !set.every((entry) => typeof entry === 'string')) throw invalid(image, name, 'needs {"set": [names...]} with at least one name');
  return set as string[];
}

function integer(image: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(image, name, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return value;
}

/** The flag parsers' checks, with their messages re-addressed to the isolator. */
function parsed<T>(image: string, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isRktError(error)) throw invalid(image, name, error.message.replace(/^(--)?[^:\s]+: /, ''));
    throw error;
  }
}

function limit(image: string, name: string, value: unknown): string | undefined {
  const given = record(value)?.limit;
  if (given === undefined) return undefined;
  if (typeof given !== 'string' && typeof given !== 'number') throw invalid(image, name, 'limit must be a quantity such as "512Mi" or "500m"');
  return String(given);
}

export function imageIsolators(image: string, list: readonly AppcIsolator[]): ImageIsolators {
  const isolators: AppIsolators = {};
  const ignored: string[] = [];
  const once = new Set<string>();
  const single = (kind: string) => {
    if (once.has(kind)) throw invalid(image, kind, `only one ${kind} isolator may be given`);
    once.add(kind);
  };
  for (const { name, value } of list) {
    switch (name) {
      case 'resource/memory': {
        const text = limit(image, name, value);
        if (text === undefined) ignored.push(`${name} without a limit (a request alone is not enforced)`);
        else isolators.memoryBytes = parsed(image, name, () => parseMemoryBytes(text));
        break;
      }
      case 'resource/cpu': {
        const text = limit(image, name, value);
        if (text === undefined) ignored.push(`${name} without a limit (a request alone is not enforced)`);
        else isolators.cpuMillis = parsed(image, name, () => parseCpuMillis(text));
        break;
      }
      case 'os/linux/capabilities-retain-set':
      case 'os/linux/capabilities-remove-set': {
        single('capabilities');
        const kind: CapabilityIsolator['kind'] = name.endsWith('retain-set') ? 'retain' : 'remove';
        isolators.capabilities = { kind, names: parsed(image, name, () => parseCapabilityList(name, stringSet(image, name, value).join(','))) };
        break;
      }
      case 'os/linux/seccomp-retain-set':
      case 'os/linux/seccomp-remove-set': {
        single('seccomp');
        const errno = record(value)?.errno;
        if (errno !== undefined && typeof errno !== 'string') throw invalid(image, name, 'errno must be an errno name such as "ENOTSUP"');
        const seccomp: SeccompIsolator = { mode: name.endsWith('retain-set') ? 'retain' : 'remove', names: stringSet(image, name, value), ...(errno ? { errno } : {}) };
        isolators.seccomp = parsed(image, name, () => checkSeccompIsolator(name, seccomp));
        break;
      }
      case 'os/linux/oom-score-adj':
        isolators.oomScoreAdj = integer(image, name, value, -1000, 1000);
        break;
      case 'os/linux/cpu-shares':
        isolators.cpuShares = integer(image, name, value, 2, 262144);
        break;
      case 'os/linux/no-new-privileges':
        if (typeof value !== 'boolean') throw invalid(image, name, `must be true or false, not ${JSON.stringify(value)}`);
        // every app gets no_new_privs (docs/isolation.md); it is lifted only with --insecure-options=seccomp
        if (!value) ignored.push(`${name} false (rkt sets no_new_privs for every app)`);
        break;
      default:
        ignored.push(`${name} (not applied by rkt)`);
    }
  }
  return { isolators, ignored };
}
