/**
 * Fetching appc images (reference §3.3): an ACI file (signature from --signature or beside it as
 * `.aci.asc`), an http(s) URL (signature at `<url>.asc`; ETag and Cache-Control kept in the
 * store's `remote` table), or an appc name found by meta discovery. Whatever the source, the ACI is
 * first copied or downloaded into the store's tmp directory, and that private copy is what is
 * verified, hashed and stored, so nothing can swap the bytes between verification and use. Then
 * its dependencies are fetched the same way (from the store when there).
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { readAciFile } from '../image/aci-file.js';
import { discover } from '../image/appc/appc-discovery.js';
import { APPC_AUTH_HINT, type AppcHttp, aciFetchError, cacheMaxAge, getSmall } from '../image/appc/appc-http.js';
import { type AppcNameReference, type AppcReference, appcStoreName } from '../image/image-reference.js';
import { type AppcImageManifest, labelOf } from '../schema/appc-manifest.js';
import { MEDIA_TYPE } from '../schema/media-types.js';
import { fileBlobOpener, hasBlob, ingestBlob } from '../store/blob-store.js';
import type { ImageIndex, ImageRecord } from '../store/image-index.js';
import { prepareStoreDirs } from '../store/store-dirs.js';
import { bytesBlobOpener } from '../store/stored-blob.js';
import { trustedKeysFor } from '../trust/keystore.js';
import { verifyDetachedSignature } from '../trust/verify-signature.js';
import { MAX_DEPENDENCY_DEPTH, appcLayerChain, dependencyLabels, findDependency, manifestStoreName, readAppcManifest } from './appc-image.js';
import { extractLayers } from './import-image.js';
import { downloadAci } from './download-aci.js';
import type { AppcAccess, RegistryAccess } from './registry-access.js';
import { createHash } from 'node:crypto';

export type AppcPullPolicy = 'new' | 'update' | 'never';

export interface AppcFetchRequest {
  dataDir: string;
  reference: AppcReference;
  pullPolicy: AppcPullPolicy;
  extract: boolean;
  access: RegistryAccess | undefined;
}

interface Context {
  dataDir: string;
  index: ImageIndex;
  extract: boolean;
  pullPolicy: AppcPullPolicy;
  appc: AppcAccess;
  http: AppcHttp;
}

const MAX_SIGNATURE_BYTES = 64 * 1024;

/** The running system's appc os/arch labels (appc types.md), added to discovery when not given. */
export function defaultOsArch(): [string, string][] {
  const arch = ({ x64: 'amd64', arm64: 'aarch64', ia32: 'i386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
  return [['os', 'linux'], ['arch', arch]];
}

/** `RKT_APPC_RESOLVE=HOST=ADDRESS:PORT[,…]`: connect there for HOST (as curl's --resolve); for tests. */
function connectOverrides(): ((url: URL) => { host: string; port: number } | undefined) | undefined {
  const text = process.env.RKT_APPC_RESOLVE;
  if (!text) return undefined;
  const table = new Map<string, { host: string; port: number }>();
  for (const entry of text.split(',')) {
    const match = /^([^=]+)=(.+):(\d+)$/.exec(entry.trim());
    if (match) table.set(match[1]!, { host: match[2]!, port: Number(match[3]) });
  }
  return (url) => table.get(url.hostname);
}

export function appcHttp(access: RegistryAccess | undefined): AppcHttp {
  const connectTo = connectOverrides();
  return {
    allowHttp: access?.insecureHttp ?? false,
    tls: { insecureTls: access?.insecureTls ?? false, ...(access?.appc?.extraCa ? { extraCa: access.appc.extraCa } : {}), ...(connectTo ? { connectTo } : {}) },
    ...(access?.appc?.authorizationFor ? { authorizationFor: access.appc.authorizationFor } : {}),
  };
}

function appcAccessOf(access: RegistryAccess | undefined): AppcAccess {
  return access?.appc ?? { insecureImage: false, trustDirs: { system: '/usr/lib/rkt', local: '/etc/rkt' } };
}

export async function fetchAppcImage(request: AppcFetchRequest, index: ImageIndex): Promise<{ record: ImageRecord; fromStore: boolean }> {
  const context: Context = {
    dataDir: request.dataDir,
    index,
    extract: request.extract,
    pullPolicy: request.pullPolicy,
    appc: appcAccessOf(request.access),
    http: appcHttp(request.access),
  };
  const { reference } = request;
  switch (reference.transport) {
    case 'aci-file':
      return { record: await fetchFile(context, reference.path), fromStore: false };
    case 'aci-url':
      return fetchUrl(context, reference.url);
    case 'appc':
      return fetchName(context, reference, 0);
  }
}

async function withWorkDir<T>(context: Context, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join((await prepareStoreDirs(context.dataDir)).tmp, 'aci-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function siblingSignature(path: string): string {
  return path.endsWith('.aci') ? `${path}.asc` : `${path}.aci.asc`;
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    throw error;
  }
}

async function fetchFile(context: Context, path: string): Promise<ImageRecord> {
  return withWorkDir(context, async (dir) => {
    const raw = join(dir, 'image.aci');
    await copyFile(path, raw).catch((error: NodeJS.ErrnoException) => {
      throw new RktError('image', 'ERR_IMAGE_NOT_FOUND', `ACI ${path}: cannot read it: ${error.message}`, { cause: error });
    });
    const signatureFile = context.appc.signatureFile ?? siblingSignature(path);
    const signature = await readOptional(signatureFile);
    if (signature === undefined && context.appc.signatureFile !== undefined) {
      throw new RktError('usage', 'ERR_TRUST_SIGNATURE_MISSING', `--signature=${signatureFile}: no such file`);
    }
    return importAci(context, { raw, dir, what: `ACI ${path}`, signature: signature && { bytes: signature, where: signatureFile }, lookedFor: signatureFile });
  });
}

interface ImportInput {
  raw: string;
  dir: string;
  what: string;
  signature: { bytes: Buffer; where: string } | undefined;
  lookedFor: string;
  /** For discovery: the name and labels asked for, which the manifest must have. */
  expected?: AppcNameReference;
  /** The name to record the image under (default: the manifest's name and version). */
  storeName?: string;
  depth?: number;
}

function checkExpected(manifest: AppcImageManifest, expected: AppcNameReference, what: string): void {
  if (manifest.name !== expected.name) {
    throw new RktError('trust', 'ERR_TRUST_NAME_MISMATCH', `${what}: its manifest names it ${manifest.name}, but ${expected.name} was asked for`, {
      hint: 'a signature vouches for the name in the manifest; an image served under another name is refused',
    });
  }
  for (const [label, value] of expected.labels) {
    const actual = labelOf(manifest, label);
    if (actual !== undefined && actual !== value) {
      throw new RktError('image', 'ERR_APPC_LABEL_MISMATCH', `${what}: label ${label} is ${JSON.stringify(actual)}, but ${JSON.stringify(value)} was asked for`);
    }
    if (actual === undefined && label === 'version' && value !== 'latest') {
      throw new RktError('image', 'ERR_APPC_LABEL_MISMATCH', `${what}: it has no version label, but version ${value} was asked for`);
    }
  }
}

/** Verifies, stores and (when asked) extracts one ACI, then its dependencies. */
async function importAci(context: Context, input: ImportInput): Promise<ImageRecord> {
  const aci = await readAciFile(input.raw, input.dir, input.what);
  const { manifest } = aci;
  if (input.expected) checkExpected(manifest, input.expected, input.what);
  if (!context.appc.insecureImage) {
    if (input.signature === undefined) {
      throw new RktError('trust', 'ERR_TRUST_UNSIGNED_IMAGE', `${input.what} (${manifest.name}) has no signature (looked for ${input.lookedFor}), and rkt verifies images by default`, {
        hint: 'give its signature (--signature=FILE), or pass --insecure-options=image to accept it unverified',
      });
    }
    const keys = await trustedKeysFor(context.appc.trustDirs, manifest.name);
    if (keys.length === 0) {
      throw new RktError('trust', 'ERR_TRUST_KEY_UNTRUSTED', `no key is trusted for ${manifest.name} (${input.what})`, {
        hint: `trust its publisher's key: rkt trust --prefix=${manifest.name} KEYFILE (or without KEYFILE, to discover it)`,
      });
    }
    await verifyDetachedSignature({ file: input.raw, signature: input.signature.bytes, signatureWhere: input.signature.where, imageName: manifest.name, keys });
  }
  // Dependencies first: if one of them is refused, nothing of this image is in the store either.
  await fetchDependencies(context, manifest, input.depth ?? 0);
  const manifestDigest = `sha256:${createHash('sha256').update(aci.manifestBytes).digest('hex')}`;
  const { dataDir } = context;
  await ingestBlob({ dataDir, digest: manifestDigest, size: aci.manifestBytes.length, open: bytesBlobOpener(aci.manifestBytes) });
  if (!(await hasBlob(dataDir, aci.digest, aci.size))) await ingestBlob({ dataDir, digest: aci.digest, size: aci.size, open: fileBlobOpener(aci.tarPath) });
  const record = context.index.recordImage({
    id: aci.digest,
    name: input.storeName ?? manifestStoreName(manifest),
    sourceKind: 'aci',
    manifestMediaType: MEDIA_TYPE.appcManifest,
    configDigest: manifestDigest,
    now: Date.now(),
    blobs: [
      { role: 'manifest', digest: manifestDigest, size: aci.manifestBytes.length, mediaType: MEDIA_TYPE.appcManifest },
      { role: 'layer', digest: aci.digest, size: aci.size, mediaType: MEDIA_TYPE.appcAci, diffId: aci.digest },
    ],
  });
  if (context.extract) await extractLayers(dataDir, await appcLayerChain(dataDir, context.index, record));
  return record;
}

async function fetchDependencies(context: Context, manifest: AppcImageManifest, depth: number): Promise<void> {
  for (const dependency of manifest.dependencies ?? []) {
    if (depth + 1 > MAX_DEPENDENCY_DEPTH) {
      throw new RktError('image', 'ERR_APPC_DEPENDENCY_LOOP', `image ${manifest.name}: its dependencies are more than ${MAX_DEPENDENCY_DEPTH} levels deep (or loop)`);
    }
    let found = findDependency(context.index, dependency);
    if (found !== undefined) {
      // Its own dependencies may be missing (removed since): make sure of them too.
      await fetchDependencies(context, (await readAppcManifest(context.dataDir, found)).manifest, depth + 1);
      continue;
    }
    if (context.pullPolicy === 'never') {
      throw new RktError('store', 'ERR_APPC_DEPENDENCY_MISSING', `image ${manifest.name}: its dependency ${dependency.imageName} is not in the store, and the pull policy is "never"`);
    }
    const reference: AppcNameReference = { transport: 'appc', name: dependency.imageName, labels: dependencyLabels(dependency) };
    found = (await fetchName(context, reference, depth + 1)).record;
    if (dependency.imageID !== undefined && !found.id.startsWith(dependency.imageID.replace('-', ':'))) {
      throw new RktError('image', 'ERR_APPC_DEPENDENCY_ID_MISMATCH', `image ${manifest.name}: its dependency ${dependency.imageName} was fetched as ${found.id.replace(':', '-')}, not the ${dependency.imageID} it requires`);
    }
  }
}

async function isComplete(context: Context, record: ImageRecord): Promise<boolean> {
  for (const blob of context.index.blobsOf(record.id)) if (!(await hasBlob(context.dataDir, blob.digest, blob.size))) return false;
  return true;
}

async function fromStore(context: Context, record: ImageRecord): Promise<{ record: ImageRecord; fromStore: true }> {
  await fetchDependencies(context, (await readAppcManifest(context.dataDir, record)).manifest, 0);
  if (context.extract) await extractLayers(context.dataDir, await appcLayerChain(context.dataDir, context.index, record));
  return { record, fromStore: true };
}

/** The signature, or undefined when there is none (any answer but 200, 401 and 403). */
async function getSignature(context: Context, url: URL): Promise<{ bytes: Buffer; where: string } | undefined> {
  const answer = await getSmall(url, context.http, MAX_SIGNATURE_BYTES);
  if (answer.status === 401 || answer.status === 403) throw aciFetchError(url, `GET ${url.href} answered ${answer.status}`, { hint: APPC_AUTH_HINT });
  return answer.body === undefined ? undefined : { bytes: answer.body, where: url.href };
}

/** Downloads an ACI and its signature (unless the remote table says the stored copy is still good). */
async function fetchRemote(context: Context, aciUrl: string, ascUrl: string, extra: Omit<ImportInput, 'raw' | 'dir' | 'what' | 'signature' | 'lookedFor'>): Promise<{ record: ImageRecord; fromStore: boolean }> {
  const { index } = context;
  const remote = index.getRemote(aciUrl);
  const cached = remote?.imageId === undefined ? undefined : index.get(remote.imageId);
  const usable = cached !== undefined && (await isComplete(context, cached));
  if (usable && remote!.cacheMaxAge !== undefined && remote!.downloadTime + remote!.cacheMaxAge * 1000 > Date.now()) return fromStore(context, cached);
  return withWorkDir(context, async (dir) => {
    const raw = join(dir, 'image.aci');
    const answer = await downloadAci(context.dataDir, new URL(aciUrl), context.http, raw, usable ? remote!.etag : undefined);
    const etag = typeof answer.headers.etag === 'string' ? answer.headers.etag : undefined;
    const maxAge = cacheMaxAge(answer.headers);
    if (answer.status === 304 && usable) {
      index.putRemote({ url: aciUrl, ...(etag ?? remote!.etag ? { etag: etag ?? remote!.etag } : {}), ...(maxAge === undefined ? {} : { cacheMaxAge: maxAge }), downloadTime: Date.now(), imageId: cached.id });
      return fromStore(context, cached);
    }
    const signature = context.appc.insecureImage ? undefined : await getSignature(context, new URL(ascUrl));
    const record = await importAci(context, { raw, dir, what: `ACI ${aciUrl}`, signature, lookedFor: ascUrl, ...extra });
    index.putRemote({ url: aciUrl, ...(etag ? { etag } : {}), ...(maxAge === undefined ? {} : { cacheMaxAge: maxAge }), downloadTime: Date.now(), imageId: record.id });
    return { record, fromStore: false };
  });
}

async function fetchUrl(context: Context, url: string): Promise<{ record: ImageRecord; fromStore: boolean }> {
  if (context.pullPolicy !== 'update') {
    const remote = context.index.getRemote(url);
    const known = remote?.imageId === undefined ? undefined : context.index.get(remote.imageId);
    if (known !== undefined && (await isComplete(context, known))) return fromStore(context, known);
    if (context.pullPolicy === 'never') throw notInStore(url);
  }
  return fetchRemote(context, url, url.endsWith('.aci') ? `${url}.asc` : `${url}.aci.asc`, {});
}

function notInStore(name: string): RktError {
  return new RktError('store', 'ERR_IMAGE_NOT_IN_STORE', `image ${name} is not in the store, and the pull policy is "never"`, { hint: 'fetch it first (rkt fetch), or use --pull-policy=new' });
}

async function fetchName(context: Context, reference: AppcNameReference, depth: number): Promise<{ record: ImageRecord; fromStore: boolean }> {
  const storeName = appcStoreName(reference.name, reference.labels);
  if (context.pullPolicy !== 'update' || depth > 0) {
    const known = context.index.findByName(storeName);
    if (known !== undefined && (await isComplete(context, known))) return fromStore(context, known);
    if (context.pullPolicy === 'never') throw notInStore(storeName);
  }
  const given = new Map(reference.labels);
  const labels = new Map([...defaultOsArch(), ...given]);
  const endpoints = await discover(reference.name, labels, context.http, 'acis');
  let lastError: unknown;
  for (const endpoint of endpoints.acis) {
    try {
      return await fetchRemote(context, endpoint.aci, endpoint.asc, { expected: { ...reference, labels: [...labels] }, storeName, depth });
    } catch (error) {
      // Only a failure to download moves on to the next endpoint; a bad image or signature does not.
      if (!(error instanceof RktError) || error.code !== 'ERR_APPC_FETCH_FAILED') throw error;
      lastError = error;
    }
  }
  throw lastError;
}
