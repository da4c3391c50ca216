/**
 * One HTTP(S) request with Node's http/https: no redirect following (the caller decides each hop),
 * an idle timeout that covers connecting, waiting for headers and every pause in the body, and
 * transport failures turned into RktErrors (TLS, refused, timeout) with hints.
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { HTTP_HINT, TLS_HINT, type RegistryTarget, registryError } from './registry-error.js';

export interface TlsSettings {
  /** Accept any certificate (--insecure-options=tls). */
  insecureTls: boolean;
  /** PEM text of extra CAs, added to the system ones. */
  extraCa?: string;
  /**
   * Connect to another address than the URL's host resolves to (as curl's --resolve): the URL's
   * host still goes in the Host header and TLS server name, and the certificate is checked for it.
   */
  connectTo?: (url: URL) => { host: string; port: number } | undefined;
}

export interface ExchangeRequest {
  url: URL;
  headers: Record<string, string>;
  tls: TlsSettings;
  timeoutMs: number;
  signal?: AbortSignal;
  target: RegistryTarget;
}

export interface ExchangeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: IncomingMessage;
}

const TLS_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export class TransportTimeout extends Error {}

export function exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
  const { url, target } = request;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return Promise.reject(registryError('ERR_REGISTRY_HTTP_REFUSED', target, `refusing URL scheme ${url.protocol} (${url.origin})`));
  }
  const secure = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: 'GET',
    headers: { 'User-Agent': 'rkt', ...request.headers },
    agent: false,
    ...(request.signal ? { signal: request.signal } : {}),
  };
  const address = request.tls.connectTo?.(url);
  if (address !== undefined) {
    Object.assign(options, { host: address.host, hostname: address.host, port: address.port, servername: url.hostname });
    options.headers = { ...options.headers, Host: url.host };
  }
  if (secure) {
    options.rejectUnauthorized = !request.tls.insecureTls;
    if (request.tls.extraCa !== undefined) options.ca = [...rootCertificates, request.tls.extraCa];
  }
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const req = (secure ? https : http).request(url, options, (res) => {
      response = res;
      res.on('error', () => undefined); // the consumer sees errors through its own reads
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.setTimeout(request.timeoutMs, () => {
      const error = registryError('ERR_REGISTRY_TIMEOUT', target, `${url.origin} sent nothing for ${request.timeoutMs} ms`, {
        cause: new TransportTimeout(),
      });
      req.destroy(error);
      response?.destroy(error);
    });
    req.on('error', (error: NodeJS.ErrnoException) => reject(transportError(error, request)));
    req.end();
  });
}

export function transportError(error: NodeJS.ErrnoException, request: Pick<ExchangeRequest, 'url' | 'target'>): Error {
  if (error.name === 'RktError' || error.name === 'AbortError') return error;
  const { url, target } = request;
  const code = error.code ?? '';
  if (url.protocol === 'https:' && (TLS_ERROR_CODES.has(code) || /ssl|tls|certificate/i.test(error.message))) {
    return registryError('ERR_REGISTRY_TLS', target, `TLS with ${url.origin} failed: ${error.message}`, {
      hint: `${TLS_HINT}; if the registry speaks plain HTTP, ${HTTP_HINT}`,
      cause: error,
    });
  }
  return registryError('ERR_REGISTRY_UNREACHABLE', target, `cannot reach ${url.origin}: ${error.message}`, { cause: error });
}
