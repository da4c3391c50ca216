/**
 * openpgp.js is about a megabyte of JavaScript; only commands that verify or trust keys need it.
 * Loaded on first use (the bundle splits at this dynamic import), so `rkt run` of an OCI image and
 * every other command start without it.
 */
import type * as Openpgp from 'openpgp';

export type OpenpgpModule = typeof Openpgp;

export function loadOpenpgp(): Promise<OpenpgpModule> {
  return import('openpgp');
}
