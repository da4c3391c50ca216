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

function invalid(where: string, name: string, problem: string): RktError {
  return new RktError('image', 'ERR_IMAGE_ISOLATOR_INVALID', `${where}: isolator ${name}: ${problem}`, {
    hint: 'see the appc spec (ace.md, "Isolators") for the value each isolator takes',
  });
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

function stringSet(where: string, name: string, value: unknown): string[] {
  const set = record(value)?.set;
  if (!Array.isArray(set) || set.length === 0 || !set.every((entry) => typeof entry === 'string')) throw invalid(where, name, 'needs {"set": [names...]} with at least one name');
  return set as string[];
}

function integer(where: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(where, name, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return value;
}

/** The flag parsers' checks, with their messages re-addressed to the isolator. */
function parsed<T>(where: string, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isRktError(error)) throw invalid(where, name, error.message.replace(/^(--)?[^:\s]+: /, ''));
    throw error;
  }
}

function limit(where: string, name: string, value: unknown): string | undefined {
  const given = record(value)?.limit;
  if (given === undefined) return undefined;
  if (typeof given !== 'string' && typeof given !== 'number') throw invalid(where, name, 'limit must be a quantity such as "512Mi" or "500m"');
  return String(given);
}

/** `where` names the isolators' owner in errors: `image example.com/app`, `pod manifest F, app web`. */
export function imageIsolators(where: string, list: readonly AppcIsolator[]): ImageIsolators {
  const isolators: AppIsolators = {};
  const ignored: string[] = [];
  const once = new Set<string>();
  const single = (kind: string) => {
    if (once.has(kind)) throw invalid(where, kind, `only one ${kind} isolator may be given`);
    once.add(kind);
  };
  for (const { name, value } of list) {
    switch (name) {
      case 'resource/memory': {
        const text = limit(where, name, value);
        if (text === undefined) ignored.push(`${name} without a limit (a request alone is not enforced)`);
        else isolators.memoryBytes = parsed(where, name, () => parseMemoryBytes(text));
        break;
      }
      case 'resource/cpu': {
        const text = limit(where, name, value);
        if (text === undefined) ignored.push(`${name} without a limit (a request alone is not enforced)`);
        else isolators.cpuMillis = parsed(where, name, () => parseCpuMillis(text));
        break;
      }
      case 'os/linux/capabilities-retain-set':
      case 'os/linux/capabilities-remove-set': {
        single('capabilities');
        const kind: CapabilityIsolator['kind'] = name.endsWith('retain-set') ? 'retain' : 'remove';
        isolators.capabilities = { kind, names: parsed(where, name, () => parseCapabilityList(name, stringSet(where, name, value).join(','))) };
        break;
      }
      case 'os/linux/seccomp-retain-set':
      case 'os/linux/seccomp-remove-set': {
        single('seccomp');
        const errno = record(value)?.errno;
        if (errno !== undefined && typeof errno !== 'string') throw invalid(where, name, 'errno must be an errno name such as "ENOTSUP"');
        const seccomp: SeccompIsolator = { mode: name.endsWith('retain-set') ? 'retain' : 'remove', names: stringSet(where, name, value), ...(errno ? { errno } : {}) };
        isolators.seccomp = parsed(where, name, () => checkSeccompIsolator(name, seccomp));
        break;
      }
      case 'os/linux/oom-score-adj':
        isolators.oomScoreAdj = integer(where, name, value, -1000, 1000);
        break;
      case 'os/linux/cpu-shares':
        isolators.cpuShares = integer(where, name, value, 2, 262144);
        break;
      case 'os/linux/no-new-privileges':
        if (typeof value !== 'boolean') throw invalid(where, name, `must be true or false, not ${JSON.stringify(value)}`);
        // every app gets no_new_privs (docs/isolation.md); it is lifted only with --insecure-options=seccomp
        if (!value) ignored.push(`${name} false (rkt sets no_new_privs for every app)`);
        break;
      default:
        ignored.push(`${name} (not applied by rkt)`);
    }
  }
  return { isolators, ignored };
}

/** The isolators an app runs with, as appc writes them: what the pod manifest records. */
export function appcIsolatorList(isolators: AppIsolators): AppcIsolator[] {
  const list: AppcIsolator[] = [];
  if (isolators.memoryBytes !== undefined) list.push({ name: 'resource/memory', value: { limit: String(isolators.memoryBytes) } });
  if (isolators.cpuMillis !== undefined) list.push({ name: 'resource/cpu', value: { limit: `${isolators.cpuMillis}m` } });
  if (isolators.capabilities) list.push({ name: `os/linux/capabilities-${isolators.capabilities.kind}-set`, value: { set: isolators.capabilities.names } });
  if (isolators.seccomp) {
    const { mode, names, errno } = isolators.seccomp;
    list.push({ name: `os/linux/seccomp-${mode}-set`, value: { set: names, ...(errno === undefined ? {} : { errno }) } });
  }
  if (isolators.oomScoreAdj !== undefined) list.push({ name: 'os/linux/oom-score-adj', value: isolators.oomScoreAdj });
  if (isolators.cpuShares !== undefined) list.push({ name: 'os/linux/cpu-shares', value: isolators.cpuShares });
  return list;
}
