/**
 * HTTP(S) for appc images, discovery and keys, on the registry client's transport: every redirect
 * checked by hand (no HTTPS→HTTP, plain HTTP only when allowed, at most 5 hops, no other schemes),
 * idle timeouts, and bodies read with a limit. appc fetches send no credentials (auth.d `auth`
 * files are not read yet), so none can leak to another host.
 */
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { getFollowingRedirects } from '../registry/follow-redirects.js';
import type { TlsSettings } from '../registry/http-exchange.js';
import { discardBody, readLimitedBody } from '../registry/read-limited-body.js';
import { registryError } from '../registry/registry-error.js';

export interface AppcHttp {
  allowHttp: boolean;
  tls: TlsSettings;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export interface HttpResult {
  status: number;
  url: URL;
  headers: IncomingMessage['headers'];
}

function target(url: URL) {
  return { registry: url.host, what: url.pathname };
}

async function get(url: URL, http: AppcHttp, headers: Record<string, string> = {}) {
  return getFollowingRedirects(url, {
    credentialOrigin: '',
    authorization: undefined,
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

/** Downloads into `file`; `etag` makes it conditional (304: nothing is written). */
export async function download(url: URL, file: string, http: AppcHttp, etag?: string): Promise<HttpResult> {
  const response = await get(url, http, etag === undefined ? {} : { 'If-None-Match': etag });
  if (response.status !== 200) {
    discardBody(response.body);
    if (response.status === 304) return { status: 304, url: response.url, headers: response.headers };
    throw registryError('ERR_APPC_FETCH_FAILED', target(url), `GET ${url.href} answered ${response.status}`);
  }
  try {
    await pipeline(response.body, createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    if ((error as Error).name === 'RktError') throw error;
    throw registryError('ERR_APPC_FETCH_FAILED', target(url), `the download of ${url.href} was cut off: ${(error as Error).message}`, { cause: error });
  }
  return { status: 200, url: response.url, headers: response.headers };
}

/** `Cache-Control: max-age=N` in seconds; `no-store`/`no-cache` mean none. */
export function cacheMaxAge(headers: IncomingMessage['headers']): number | undefined {
  const value = headers['cache-control'];
  if (typeof value !== 'string' || /no-(store|cache)/i.test(value)) return undefined;
  const match = /(?:^|,)\s*max-age\s*=\s*(\d{1,10})\s*(?:,|$)/i.exec(value);
  return match ? Number(match[1]) : undefined;
}
