/**
 * Kubernetes resource quantities, as rkt's `--memory` and `--cpu` took them: a decimal number with
 * an optional suffix — binary (Ki Mi Gi Ti Pi Ei), decimal (k M G T P E) or milli (m).
 */
import { RktError } from '../errors/rkt-error.js';

const SUFFIXES: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

export function parseQuantity(flag: string, text: string): number {
  const match = QUANTITY.exec(text.trim());
  if (!match) {
    throw new RktError('usage', 'ERR_QUANTITY_INVALID', `--${flag}: "${text}" is not a quantity`, {
      hint: 'use a number with an optional suffix, e.g. 128Mi, 1G, 500m, 1.5',
    });
  }
  return Number(match[1]) * SUFFIXES[match[2] ?? '']!;
}

/** `--memory`: whole bytes, at least one page. */
export function parseMemoryBytes(text: string): number {
  const bytes = Math.ceil(parseQuantity('memory', text));
  if (bytes < 4096 || !Number.isSafeInteger(bytes)) {
    throw new RktError('usage', 'ERR_QUANTITY_INVALID', `--memory=${text}: must be between 4096 bytes and 2^53`);
  }
  return bytes;
}

/** `--cpu`: CPUs in milli-cores (500m = half a CPU, 2 = two CPUs), as rkt's CPUQuota. */
export function parseCpuMillis(text: string): number {
  const millis = Math.round(parseQuantity('cpu', text) * 1000);
  if (millis < 1 || millis > 1_000_000_000) throw new RktError('usage', 'ERR_QUANTITY_INVALID', `--cpu=${text}: must be between 1m and 1000000`);
  return millis;
}
