/**
 * Resuming a download with an HTTP Range request (RFC 9110 §14), for registry blobs and appc
 * images alike: the request headers, and where the answer's body starts. A `206` must say it
 * starts exactly at the byte asked for; a `200` is the whole body again (the server ignored the
 * range, or, with `If-Range`, the resource changed since the partial copy was made).
 */
import type { ExchangeResponse } from './http-exchange.js';
import { discardBody } from './read-limited-body.js';
import { type RegistryTarget, registryError } from './registry-error.js';

/**
 * `Range: bytes=OFFSET-` when resuming at OFFSET; with `ifRange` (the partial copy's ETag or
 * Last-Modified), the server sends the whole resource instead if it is no longer that one.
 */
export function rangeHeaders(offset: number, ifRange?: string): Record<string, string> {
  if (offset === 0) return {};
  return { Range: `bytes=${offset}-`, ...(ifRange === undefined ? {} : { 'If-Range': ifRange }) };
}

export interface RangedStart {
  /** Where the body starts in the whole: the offset asked for, or 0. */
  offset: number;
  /** The whole size when the server said it. */
  totalSize?: number;
}

/**
 * Where a `200` or `206` answer to a ranged GET starts; undefined for any other status (the caller
 * reports it). A `206` that does not start at `requested`, and a `416`, are errors.
 */
export function rangedStart(response: ExchangeResponse, requested: number, target: RegistryTarget): RangedStart | undefined {
  if (response.status === 206 && requested > 0) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
    if (!range || Number(range[1]) !== requested) {
      discardBody(response.body);
      throw registryError('ERR_REGISTRY_RANGE', target, `asked for bytes from ${requested}, got Content-Range ${JSON.stringify(response.headers['content-range'] ?? '')}`);
    }
    return { offset: requested, totalSize: range[3] !== '*' ? Number(range[3]) : Number(range[2]) + 1 };
  }
  if (response.status === 200) {
    const length = Number(response.headers['content-length']);
    return { offset: 0, ...(Number.isSafeInteger(length) ? { totalSize: length } : {}) };
  }
  if (response.status === 416) {
    discardBody(response.body);
    throw registryError('ERR_REGISTRY_RANGE', target, `the server cannot serve bytes from ${requested} (416): past the end`);
  }
  return undefined;
}
