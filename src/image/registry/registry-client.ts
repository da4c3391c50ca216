/**
 * A client for one registry speaking the distribution v2 API: manifests (checked against the
 * digest they were asked by, or hashed when asked by tag) and blobs (streamed, resumable with
 * Range). Transport policy — HTTPS only unless allowed, redirects by hand, credentials only to the
 * registry's own origin, limits and timeouts — is described in docs/registry.md.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Readable, Transform, pipeline } from 'node:stream';
import { RktError } from '../../errors/rkt-error.js';
import { DIGEST_PATTERN, parseDigest } from '../../schema/digest.js';
import { MAX_JSON_DOCUMENT_BYTES } from '../../schema/parse-json-document.js';
import { TAG_PATTERN, canonicalRegistryHost, isValidRegistryHost, isValidRepository } from '../docker-reference.js';
import { type FollowedResponse, getFollowingRedirects } from './follow-redirects.js';
import { type TlsSettings, exchange } from './http-exchange.js';
import { MANIFEST_ACCEPT, manifestMediaType } from './manifest-media-type.js';
import { rangeHeaders, rangedStart } from './ranged-response.js';
import { discardBody, readLimitedBody } from './read-limited-body.js';
import type { RegistryCredentials } from './basic-authorization.js';
import { RegistryAuth } from './registry-auth.js';
import { AUTH_HINT, type RegistryTarget, registryError } from './registry-error.js';
import { statusError } from './response-status.js';

export type { RegistryCredentials } from './basic-authorization.js';

export interface RegistryClientOptions {
  /** --insecure-options=http: allow plain HTTP (HTTPS is tried first; see docs/registry.md). */
  insecureHttp: boolean;
  /** --insecure-options=tls: accept any certificate. */
  insecureTls: boolean;
  credentialsFor: (registryHost: string) => RegistryCredentials | undefined;
  /** A PEM file of extra CAs, trusted besides the system ones. */
  caFile?: string;
  /** Per-request idle timeout: connecting, waiting for headers, any pause in a body. Default 30 s. */
  timeoutMs?: number;
  /** Overall limit for reading a whole manifest or token response. Default 60 s. */
  documentDeadlineMs?: number;
}

export interface ManifestResponse {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface BlobResponse {
  stream: Readable;
  /** Where the body starts: the requested offset if the server honoured Range, else 0. */
  offset: number;
  /** The blob's whole size when the server said it. */
  totalSize?: number;
}

export interface GetBlobOptions {
  offset?: number;
  signal?: AbortSignal;
  /** Called as bytes arrive with the position reached in the blob (offset + bytes received). */
  onProgress?: (position: number) => void;
}

/** A manifest larger than the JSON document limit (4 MiB) is cut off and refused. */
export const MAX_MANIFEST_BYTES = MAX_JSON_DOCUMENT_BYTES;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_DOCUMENT_DEADLINE_MS = 60_000;

export class RegistryClient {
  /** The host rkt talks to (Docker Hub aliases mapped to registry-1.docker.io). */
  readonly apiHost: string;
  private readonly tls: TlsSettings;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly auth: RegistryAuth;
  private originPromise: Promise<string> | undefined;

  constructor(
    readonly registry: string,
    private readonly options: RegistryClientOptions,
  ) {
    if (!isValidRegistryHost(registry)) {
      throw new RktError('usage', 'ERR_IMAGE_REFERENCE_INVALID', `invalid registry host ${JSON.stringify(registry.slice(0, 200))}`);
    }
    this.apiHost = canonicalRegistryHost(registry);
    this.tls = { insecureTls: options.insecureTls, ...(options.caFile !== undefined ? { extraCa: readCaFile(options.caFile) } : {}) };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.deadlineMs = options.documentDeadlineMs ?? DEFAULT_DOCUMENT_DEADLINE_MS;
    this.auth = new RegistryAuth({
      registry: this.apiHost,
      credentials: options.credentialsFor(this.apiHost),
      allowHttp: options.insecureHttp,
      tls: this.tls,
      timeoutMs: this.timeoutMs,
      deadlineMs: this.deadlineMs,
    });
  }

  async getManifest(repository: string, reference: string): Promise<ManifestResponse> {
    const target = this.target(repository, `manifest ${reference}`);
    const byDigest = DIGEST_PATTERN.test(reference);
    if (!byDigest && !TAG_PATTERN.test(reference)) throw invalidArgument(target, `invalid tag or digest ${JSON.stringify(reference.slice(0, 200))}`);
    const response = await this.get(repository, `manifests/${reference}`, { Accept: MANIFEST_ACCEPT }, target);
    if (response.status !== 200) throw await statusError(response, target, this.auth.hasCredentials);
    const bytes = await readLimitedBody(response.body, MAX_MANIFEST_BYTES, this.deadlineMs, target);
    const mediaType = manifestMediaType(response.headers['content-type'], bytes, target);
    const algorithm = byDigest ? parseDigest(reference, describeWhere(target)).algorithm : 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
    if (byDigest && digest !== reference) {
      throw registryError('ERR_REGISTRY_DIGEST_MISMATCH', target, `the registry served a manifest whose digest is ${digest}`, {
        hint: 'the registry (or something between it and rkt) is corrupt or hostile; nothing was used',
      });
    }
    const hinted = response.headers['docker-content-digest'];
    if (typeof hinted === 'string' && hinted.startsWith(`${algorithm}:`) && DIGEST_PATTERN.test(hinted) && hinted !== digest) {
      throw registryError('ERR_REGISTRY_DIGEST_MISMATCH', target, `Docker-Content-Digest says ${hinted} but the manifest served hashes to ${digest}`);
    }
    return { digest, mediaType, bytes };
  }

  async getBlob(repository: string, digest: string, options: GetBlobOptions = {}): Promise<BlobResponse> {
    const target = this.target(repository, `blob ${digest}`);
    parseDigest(digest, describeWhere(target));
    const requested = options.offset ?? 0;
    if (!Number.isSafeInteger(requested) || requested < 0) throw invalidArgument(target, `invalid offset ${String(requested)}`);
    const headers: Record<string, string> = { Accept: '*/*', ...rangeHeaders(requested) };
    const response = await this.get(repository, `blobs/${digest}`, headers, target, options.signal);
    const start = rangedStart(response, requested, target);
    if (start === undefined) throw await statusError(response, target, this.auth.hasCredentials);
    const { offset, totalSize } = start;
    return { stream: this.counted(response, offset, options.onProgress), offset, ...(totalSize !== undefined ? { totalSize } : {}) };
  }

  private counted(response: FollowedResponse, offset: number, onProgress: GetBlobOptions['onProgress']): Readable {
    let position = offset;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        position += chunk.length;
        onProgress?.(position);
        done(null, chunk);
      },
    });
    pipeline(response.body, counter, () => undefined);
    return counter;
  }

  private target(repository: string, what: string): RegistryTarget {
    const target = { registry: this.apiHost, repository, what };
    if (!isValidRepository(repository)) throw invalidArgument(target, `invalid repository name ${JSON.stringify(repository.slice(0, 200))}`);
    return target;
  }

  /** One GET under /v2/<repository>/, authenticating once on a 401 from the registry itself. */
  private async get(repository: string, path: string, headers: Record<string, string>, target: RegistryTarget, signal?: AbortSignal): Promise<FollowedResponse> {
    const origin = await this.origin(target);
    const scope = `repository:${repository}:pull`;
    for (let attempt = 0; ; attempt++) {
      const response = await getFollowingRedirects(new URL(`/v2/${repository}/${path}`, origin), {
        credentialOrigin: origin,
        authorization: this.auth.authorizationFor(scope),
        headers,
        allowHttp: this.options.insecureHttp,
        tls: this.tls,
        timeoutMs: this.timeoutMs,
        target,
        ...(signal ? { signal } : {}),
      });
      if (response.status !== 401 || response.url.origin !== origin || attempt > 0) return response;
      discardBody(response.body);
      if (!(await this.auth.respondToChallenge(response.headers['www-authenticate'], origin, scope, target))) {
        throw registryError('ERR_REGISTRY_UNAUTHORIZED', target, `${origin} answered 401${this.auth.hasCredentials ? '; the configured credentials were refused' : ' and no credentials are configured for it'}`, { hint: AUTH_HINT });
      }
    }
  }

  /**
   * `https://host`; with insecureHttp, HTTPS is tried first (GET /v2/) and plain HTTP used only if
   * no HTTPS connection could be made at all. Decided once per client.
   */
  private origin(target: RegistryTarget): Promise<string> {
    const https = `https://${this.apiHost}`;
    if (!this.options.insecureHttp) return Promise.resolve(https);
    this.originPromise ??= exchange({ url: new URL('/v2/', https), headers: {}, tls: this.tls, timeoutMs: this.timeoutMs, target })
      .then((response) => {
        discardBody(response.body);
        return https;
      })
      .catch((error: RktError) => {
        if (error.code === 'ERR_REGISTRY_TLS' && !/wrong version number|EPROTO|packet length/i.test(`${error.message} ${String((error.cause as Error | undefined)?.message)}`)) throw error;
        return `http://${this.apiHost}`;
      });
    return this.originPromise;
  }
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new RktError('config', 'ERR_REGISTRY_CA_UNREADABLE', `cannot read the CA file ${path}: ${(error as Error).message}`);
  }
}

function describeWhere(target: RegistryTarget): string {
  return `${target.registry}/${target.repository ?? ''} ${target.what ?? ''}`.trim();
}

function invalidArgument(target: RegistryTarget, problem: string): RktError {
  return new RktError('usage', 'ERR_IMAGE_REFERENCE_INVALID', `registry ${target.registry}, repository ${target.repository ?? ''}: ${problem}`);
}
