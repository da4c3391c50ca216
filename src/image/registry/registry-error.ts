/**
 * Errors of the registry client. Every message starts by naming where it happened — registry,
 * repository and the manifest reference or blob digest — so a failed pull of one image among many
 * is unambiguous.
 */
import { RktError } from '../../errors/rkt-error.js';

export interface RegistryTarget {
  registry: string;
  repository?: string;
  /** `manifest <tag|digest>`, `blob <digest>`, `token for <scope>`, … */
  what?: string;
}

export function describeTarget(target: RegistryTarget): string {
  return [`registry ${target.registry}`, target.repository && `repository ${target.repository}`, target.what].filter(Boolean).join(', ');
}

export function registryError(code: string, target: RegistryTarget, problem: string, options: { hint?: string; cause?: unknown } = {}): RktError {
  return new RktError('image', code, `${describeTarget(target)}: ${problem}`, options);
}

export const AUTH_HINT = 'configure credentials for this registry in an auth.d dockerAuth file (/etc/rkt/auth.d/*.json) or in ~/.docker/config.json "auths"';
export const TLS_HINT = 'give the registry\'s CA certificate (caFile), or pass --insecure-options=tls to accept any certificate';
export const HTTP_HINT = 'pass --insecure-options=http to allow plain HTTP to this registry';
