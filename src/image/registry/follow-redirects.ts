/**
 * GET with every redirect handled by hand (see docs/registry.md, "Redirects"):
 *  - at most MAX_REDIRECTS hops, and a URL seen twice is a loop;
 *  - the Authorization header goes only to `credentialOrigin` (scheme, host and port all equal):
 *    a registry that sends blobs to storage elsewhere never leaks its credentials or token there;
 *  - never from HTTPS to HTTP, and to plain HTTP at all only when `allowHttp`;
 *  - no URLs with user:password@ (Node would turn them into credentials), no other schemes.
 */
import { type ExchangeResponse, type TlsSettings, exchange } from './http-exchange.js';
import { discardBody } from './read-limited-body.js';
import { HTTP_HINT, type RegistryTarget, registryError } from './registry-error.js';

export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FollowOptions {
  credentialOrigin: string;
  authorization: string | undefined;
  /** Everything but credentials: Accept, Range. Sent on every hop. */
  headers: Record<string, string>;
  allowHttp: boolean;
  tls: TlsSettings;
  timeoutMs: number;
  signal?: AbortSignal;
  target: RegistryTarget;
}

export interface FollowedResponse extends ExchangeResponse {
  /** Where the response finally came from. */
  url: URL;
}

export async function getFollowingRedirects(start: URL, options: FollowOptions): Promise<FollowedResponse> {
  const seen = new Set<string>();
  let url = start;
  checkUrl(url, undefined, options);
  for (let hop = 0; ; hop++) {
    seen.add(url.href);
    const headers = { ...options.headers };
    if (options.authorization !== undefined && url.origin === options.credentialOrigin) headers.Authorization = options.authorization;
    const response = await exchange({
      url,
      headers,
      tls: options.tls,
      timeoutMs: options.timeoutMs,
      target: options.target,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!REDIRECT_STATUSES.has(response.status)) return { ...response, url };
    discardBody(response.body);
    const location = response.headers.location;
    if (!location) throw registryError('ERR_REGISTRY_REDIRECT', options.target, `${url.origin} answered ${response.status} without a Location`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw registryError('ERR_REGISTRY_REDIRECT', options.target, `${url.origin} redirected to an invalid URL ${JSON.stringify(location.slice(0, 200))}`);
    }
    checkUrl(next, url, options);
    if (seen.has(next.href)) throw registryError('ERR_REGISTRY_REDIRECT', options.target, `redirect loop at ${next.origin}${next.pathname}`);
    if (hop + 1 > MAX_REDIRECTS) throw registryError('ERR_REGISTRY_REDIRECT', options.target, `more than ${MAX_REDIRECTS} redirects (last to ${next.origin})`);
    url = next;
  }
}

function checkUrl(next: URL, from: URL | undefined, options: FollowOptions): void {
  const { target } = options;
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw registryError('ERR_REGISTRY_REDIRECT', target, `refusing a redirect to the scheme ${next.protocol}`);
  }
  if (next.username !== '' || next.password !== '') {
    throw registryError('ERR_REGISTRY_REDIRECT', target, `refusing a URL with credentials in it (${next.host})`);
  }
  if (next.protocol === 'http:' && from?.protocol === 'https:') {
    throw registryError('ERR_REGISTRY_HTTP_REFUSED', target, `refusing a redirect from HTTPS (${from.origin}) to plain HTTP (${next.origin})`, {
      hint: 'a registry that moves from HTTPS to HTTP is misconfigured or under attack; rkt never follows such a downgrade',
    });
  }
  if (next.protocol === 'http:' && !options.allowHttp) {
    throw registryError('ERR_REGISTRY_HTTP_REFUSED', target, `refusing plain HTTP to ${next.origin}`, { hint: HTTP_HINT });
  }
}
