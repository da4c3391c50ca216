/**
 * Parses what the user typed to name an image:
 *
 * - `oci:PATH[:TAG]` — an OCI image layout directory;
 * - `oci-archive:PATH[:TAG]` — a tar of an OCI image layout (what `skopeo copy … oci-archive:` writes);
 * - `docker-archive:PATH[:NAME:TAG]` — what `docker save` writes;
 * - `docker://[REGISTRY[:PORT]/]NAME[:TAG|@DIGEST]` (or `docker:…`) — a registry; the text after the
 *   prefix is parsed by the registry code;
 * - `sha256-<hex>` / `sha512-<hex>` (a unique prefix of at least 2 hex digits) — an image already in the store;
 * - an ACI file: `file://PATH`, an absolute path, a path with `./`, an existing file, or a name
 *   ending in `.aci` without a ':' (reference §3.2);
 * - an ACI at `http://` or `https://` URL;
 * - otherwise an appc name `NAME[:VERSION][,LABEL=VALUE...]`, found by meta discovery.
 *
 * PATH may itself contain ':'. For `oci:` and `oci-archive:`, the rule, in order:
 *  1. if everything after the prefix exists (a directory for oci:, a file for oci-archive:), that is PATH;
 *  2. else if the text after the last ':' is a valid OCI ref name, it is the TAG and the rest PATH;
 *  3. else the whole text is PATH (and reading it will say it does not exist).
 * Without a tag, the layout's index.json must hold exactly one manifest (see readOciImage); there is
 * no implicit `latest`, because picking one of several images silently is worse than asking.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';

export interface OciLayoutReference {
  transport: 'oci';
  layoutPath: string;
  tag: string | undefined;
}

export interface OciArchiveReference {
  transport: 'oci-archive';
  archivePath: string;
  tag: string | undefined;
}

export interface DockerArchiveReference {
  transport: 'docker-archive';
  archivePath: string;
  /** `NAME:TAG` among the archive's RepoTags, when it holds more than one image. */
  repoTag: string | undefined;
}

export interface DockerRegistryReference {
  transport: 'docker';
  /** Everything after `docker://`, parsed by the registry code. */
  text: string;
}

export interface StoredImageReference {
  transport: 'store';
  /** `sha256:<hex prefix>` */
  idPrefix: string;
}

export interface AciFileReference {
  transport: 'aci-file';
  path: string;
}

export interface AciUrlReference {
  transport: 'aci-url';
  url: string;
}

export interface AppcNameReference {
  transport: 'appc';
  /** An AC identifier. */
  name: string;
  /** `version` (from `:VERSION`) and other labels, as given. */
  labels: [string, string][];
}

export type AppcReference = AciFileReference | AciUrlReference | AppcNameReference;

export type ImageReference = OciLayoutReference | OciArchiveReference | DockerArchiveReference | DockerRegistryReference | StoredImageReference | AppcReference;

/** The `org.opencontainers.image.ref.name` grammar of the OCI image layout spec. */
const OCI_REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

export function isValidOciRefName(name: string): boolean {
  return name.length <= 255 && OCI_REF_NAME.test(name);
}

/** rkt-style image IDs: `sha256-<hex>`, or `sha256:<hex>`, full or a prefix of at least two digits. */
const IMAGE_ID = /^(sha256|sha512)[-:]([0-9a-f]{2,128})$/;

export function parseImageId(text: string): string | undefined {
  const match = IMAGE_ID.exec(text.toLowerCase());
  return match ? `${match[1]}:${match[2]}` : undefined;
}

const KNOWN_TRANSPORTS = ['docker-daemon:', 'containers-storage:', 'dir:'];

const AC_IDENTIFIER = /^[a-z0-9]+([-._~/][a-z0-9]+)*$/;

/** `NAME[:VERSION][,LABEL=VALUE...]` (appc discovery's app string); undefined when it is not one. */
export function parseAppcName(text: string): AppcNameReference | undefined {
  const [head = '', ...rest] = text.split(',');
  const colon = head.lastIndexOf(':');
  const name = colon < 0 ? head : head.slice(0, colon);
  if (!AC_IDENTIFIER.test(name) || name.length > 512) return undefined;
  const labels: [string, string][] = [];
  if (colon >= 0) labels.push(['version', head.slice(colon + 1)]);
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    labels.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  const names = labels.map(([label]) => label);
  if (labels.some(([label, value]) => label === 'name' || value === '' || !AC_IDENTIFIER.test(label)) || new Set(names).size !== names.length) return undefined;
  return { transport: 'appc', name, labels };
}

function looksLikeAciPath(text: string): boolean {
  if (text.startsWith('/') || text.startsWith('./') || text.startsWith('../') || text.includes('/./') || exists(text, 'file')) return true;
  return text.endsWith('.aci') && !text.includes(':');
}

export function parseImageReference(text: string): ImageReference {
  if (text.startsWith('oci:')) return parseLayoutLike(text, 'oci:', 'directory');
  if (text.startsWith('oci-archive:')) return parseLayoutLike(text, 'oci-archive:', 'file');
  if (text.startsWith('docker-archive:')) return parseDockerArchive(text);
  if (text.startsWith('docker://') || text.startsWith('docker:')) return parseDocker(text);
  const id = parseImageId(text);
  if (id !== undefined) return { transport: 'store', idPrefix: id };
  if (text.startsWith('file://')) return { transport: 'aci-file', path: decodeURIComponent(new URL(text).pathname) };
  if (text.startsWith('http://') || text.startsWith('https://')) return { transport: 'aci-url', url: text };
  const transport = KNOWN_TRANSPORTS.find((prefix) => text.startsWith(prefix));
  if (transport === undefined) {
    if (looksLikeAciPath(text)) return { transport: 'aci-file', path: text };
    const appc = parseAppcName(text);
    if (appc !== undefined) return appc;
  }
  const what = transport ? `the ${transport.replace(/:\/*$/, '')} transport is not supported yet` : 'is neither a file, a URL nor an appc name (NAME[:VERSION][,LABEL=VALUE...])';
  throw new RktError('image', 'ERR_IMAGE_TRANSPORT_UNSUPPORTED', `image ${JSON.stringify(text)}: ${what}`, {
    hint: 'use an appc name, an ACI file or URL, docker://NAME[:TAG], oci:PATH[:TAG], oci-archive:PATH[:TAG], docker-archive:PATH or an image ID (sha512-…, sha256-…)',
  });
}

/** The name rkt records for the image in its store: the reference with an absolute path. */
export function canonicalImageName(reference: OciLayoutReference | OciArchiveReference | DockerArchiveReference): string {
  switch (reference.transport) {
    case 'oci':
      return `oci:${path.resolve(reference.layoutPath)}${reference.tag === undefined ? '' : `:${reference.tag}`}`;
    case 'oci-archive':
      return `oci-archive:${path.resolve(reference.archivePath)}${reference.tag === undefined ? '' : `:${reference.tag}`}`;
    case 'docker-archive':
      return `docker-archive:${path.resolve(reference.archivePath)}${reference.repoTag === undefined ? '' : `:${reference.repoTag}`}`;
  }
}

function empty(text: string, prefix: string): RktError {
  return new RktError('usage', 'ERR_IMAGE_REFERENCE_INVALID', `image ${JSON.stringify(text)}: nothing after "${prefix}"`, {
    hint: `write ${prefix}PATH, e.g. oci:./my-layout:latest or docker://busybox`,
  });
}

function parseLayoutLike(text: string, prefix: 'oci:' | 'oci-archive:', kind: 'directory' | 'file'): OciLayoutReference | OciArchiveReference {
  const rest = text.slice(prefix.length);
  if (rest === '') throw empty(text, prefix);
  const make = (where: string, tag: string | undefined): OciLayoutReference | OciArchiveReference =>
    prefix === 'oci:' ? { transport: 'oci', layoutPath: where, tag } : { transport: 'oci-archive', archivePath: where, tag };
  if (exists(rest, kind)) return make(rest, undefined);
  const colon = rest.lastIndexOf(':');
  const tag = rest.slice(colon + 1);
  if (colon > 0 && isValidOciRefName(tag)) return make(rest.slice(0, colon), tag);
  return make(rest, undefined);
}

function parseDockerArchive(text: string): DockerArchiveReference {
  const rest = text.slice('docker-archive:'.length);
  if (rest === '') throw empty(text, 'docker-archive:');
  if (exists(rest, 'file')) return { transport: 'docker-archive', archivePath: rest, repoTag: undefined };
  // PATH:NAME:TAG — the first prefix ending at a ':' that is an existing file is PATH.
  for (let colon = rest.indexOf(':'); colon > 0; colon = rest.indexOf(':', colon + 1)) {
    if (exists(rest.slice(0, colon), 'file')) return { transport: 'docker-archive', archivePath: rest.slice(0, colon), repoTag: rest.slice(colon + 1) };
  }
  return { transport: 'docker-archive', archivePath: rest, repoTag: undefined };
}

function parseDocker(text: string): DockerRegistryReference {
  const rest = text.startsWith('docker://') ? text.slice('docker://'.length) : text.slice('docker:'.length);
  if (rest === '') throw empty(text, 'docker://');
  return { transport: 'docker', text: rest };
}

function exists(where: string, kind: 'directory' | 'file'): boolean {
  try {
    const info = statSync(where);
    return kind === 'directory' ? info.isDirectory() : info.isFile();
  } catch {
    return false;
  }
}

/**
 * The name an appc image is stored under: `NAME[:VERSION][,LABEL=VALUE...]` with the other labels
 * sorted, so that the same request always finds the same stored image.
 */
export function appcStoreName(name: string, labels: Iterable<readonly [string, string]>): string {
  const all = new Map(labels);
  const version = all.get('version');
  all.delete('version');
  const rest = [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([label, value]) => `,${label}=${value}`);
  return `${name}${version === undefined ? '' : `:${version}`}${rest.join('')}`;
}

/** ACI files, URLs and appc names are verified by signature; others need --insecure-options=image. */
export function isAppcImageArgument(text: string): boolean {
  try {
    const reference = parseImageReference(text);
    return reference.transport === 'aci-file' || reference.transport === 'aci-url' || reference.transport === 'appc' || (reference.transport === 'store' && reference.idPrefix.startsWith('sha512:'));
  } catch {
    return false;
  }
}
