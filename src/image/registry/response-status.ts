/**
 * Turns an unwanted HTTP status into an RktError naming the registry, repository and reference,
 * with the distribution error code and message when the body carries one
 * (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`), cleaned of control characters.
 */
import type { RktError } from '../../errors/rkt-error.js';
import type { FollowedResponse } from './follow-redirects.js';
import { readLimitedBody } from './read-limited-body.js';
import { AUTH_HINT, type RegistryTarget, registryError } from './registry-error.js';

const MAX_ERROR_BODY_BYTES = 64 * 1024;
const ERROR_BODY_DEADLINE_MS = 5_000;

export async function statusError(response: FollowedResponse, target: RegistryTarget, sentCredentials: boolean): Promise<RktError> {
  const detail = await distributionErrorText(response, target);
  const from = `${response.url.origin} answered ${response.status}${detail ? ` (${detail})` : ''}`;
  switch (response.status) {
    case 401:
    case 403:
      return registryError('ERR_REGISTRY_UNAUTHORIZED', target, `${from}${sentCredentials ? '; the configured credentials were refused' : '; no credentials are configured for it'}`, {
        hint: AUTH_HINT,
      });
    case 404:
      return registryError('ERR_REGISTRY_NOT_FOUND', target, `not found: ${from}`, { hint: 'check the image name, tag or digest' });
    case 429:
      return registryError('ERR_REGISTRY_HTTP_STATUS', target, `${from}: too many requests`, { hint: 'the registry is rate-limiting; try again later, or authenticate' });
    default:
      return registryError('ERR_REGISTRY_HTTP_STATUS', target, from);
  }
}

async function distributionErrorText(response: FollowedResponse, target: RegistryTarget): Promise<string | undefined> {
  try {
    const bytes = await readLimitedBody(response.body, MAX_ERROR_BODY_BYTES, ERROR_BODY_DEADLINE_MS, target);
    const value = JSON.parse(bytes.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = value.errors?.[0];
    if (!first) return undefined;
    const text = [first.code, first.message].filter((part) => typeof part === 'string').join(': ');
    return text.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 200) || undefined;
  } catch {
    response.body.destroy();
    return undefined;
  }
}
