/**
 * HTTP(S) for appc images, discovery and keys, on the registry client's transport: every redirect
 * checked by hand (no HTTPS→HTTP, plain HTTP only when allowed, at most 5 hops, no other schemes),
 * idle timeouts, and bodies read with a limit. Credentials (rkt's auth.d `auth` entries, per host)
 * are sent only over HTTPS, and only to the origin they were asked for: the redirect follower
 * drops the Authorization header on a hop to any other origin, as it does for registry tokens.
 */
import type { IncomingMessage } from 'node:http';
import { getFollowingRedirects } from '../registry/follow-redirects.js';
import type { TlsSettings } from '../registry/http-exchange.js';
import { rangeHeaders, rangedStart } from '../registry/ranged-response.js';
import { discardBody, readLimitedBody } from '../registry/read-limited-body.js';
import { registryError } from '../registry/registry-error.js';

export interface AppcHttp {
  allowHttp: boolean;
  tls: TlsSettings;
  timeoutMs?: number;
  /** The Authorization header configured for a URL's host, if any. */
  authorizationFor?: (url: URL) => string | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function target(url: URL) {
  return { registry: url.host, what: url.pathname };
}

async function get(url: URL, http: AppcHttp, headers: Record<string, string> = {}) {
  return getFollowingRedirects(url, {
    credentialOrigin: url.origin,
    authorization: url.protocol === 'https:' ? http.authorizationFor?.(url) : undefined,
    headers,
    allowHttp: http.allowHttp,
    tls: http.tls,
    timeoutMs: http.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    target: target(url),
  });
}

/** A small document (discovery page, signature, key): its bytes, or the status when not 200. */
export async function getSmall(url: URL, http: AppcHttp, limit: number): Promise<{ status: number; url: URL; body?: Buffer }> {
  const response = await get(url, http);
  if (response.status !== 200) {
    discardBody(response.body);
    return { status: response.status, url: response.url };
  }
  return { status: 200, url: response.url, body: await readLimitedBody(response.body, limit, 5 * 60_000, target(url)) };
}

export interface AciRequest {
  /** The stored copy's ETag: a 304 answer means it is still current. */
  ifNoneMatch?: string;
  /** Resume a partial copy at `offset`, if the resource is still the one `validator` (its ETag or Last-Modified) names. */
  resume?: { offset: number; validator: string };
}

export interface AciResponse {
  status: 200 | 206 | 304;
  url: URL;
  headers: IncomingMessage['headers'];
  /** Where the body starts in the whole ACI: the resume offset on a 206, else 0. */
  offset: number;
  /** Absent on a 304. */
  body?: IncomingMessage;
}

export const APPC_AUTH_HINT = 'if the server needs credentials, configure them for its host in an auth.d file of rktKind "auth" (/etc/rkt/auth.d/*.json)';

export function aciFetchError(url: URL, problem: string, options: { hint?: string; cause?: unknown } = {}) {
  return registryError('ERR_APPC_FETCH_FAILED', target(url), problem, options);
}

/** GET of an ACI, conditional and resumed as asked (see ranged-response.ts). */
export async function getAci(url: URL, http: AppcHttp, request: AciRequest = {}): Promise<AciResponse> {
  const offset = request.resume?.offset ?? 0;
  const response = await get(url, http, { ...(request.ifNoneMatch === undefined ? {} : { 'If-None-Match': request.ifNoneMatch }), ...rangeHeaders(offset, request.resume?.validator) });
  if (response.status === 304) {
    discardBody(response.body);
    return { status: 304, url: response.url, headers: response.headers, offset: 0 };
  }
  const start = rangedStart(response, offset, target(url));
  if (start === undefined) {
    discardBody(response.body);
    throw aciFetchError(url, `GET ${url.href} answered ${response.status}`, response.status === 401 || response.status === 403 ? { hint: APPC_AUTH_HINT } : {});
  }
  return { status: response.status === 206 ? 206 : 200, url: response.url, headers: response.headers, offset: start.offset, body: response.body };
}

/** What names this version of a resource for `If-Range`: its ETag if strong, else its Last-Modified. */
export function resumeValidator(headers: IncomingMessage['headers']): string | undefined {
  if (typeof headers.etag === 'string' && !headers.etag.startsWith('W/')) return headers.etag;
  return typeof headers['last-modified'] === 'string' ? headers['last-modified'] : undefined;
}

/** `Cache-Control: max-age=N` in seconds; `no-store`/`no-cache` mean none. */
export function cacheMaxAge(headers: IncomingMessage['headers']): number | undefined {
  const value = headers['cache-control'];
  if (typeof value !== 'string' || /no-(store|cache)/i.test(value)) return undefined;
  const match = /(?:^|,)\s*max-age\s*=\s*(\d{1,10})\s*(?:,|$)/i.exec(value);
  return match ? Number(match[1]) : undefined;
}
