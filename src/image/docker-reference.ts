/**
 * Docker image references, `[REGISTRY[:PORT]/]NAME[:TAG][@DIGEST]` (the text after `docker://`),
 * with Docker Hub's defaults: no registry means Docker Hub, whose API host is
 * `registry-1.docker.io` (`docker.io` and `index.docker.io` are aliases of it), one-word Hub names
 * get `library/`, and `latest` is the tag when neither tag nor digest is given.
 *
 * The first component is a registry only when it looks like a host: it has a '.' or a ':', or is
 * `localhost` (Docker's rule). Repository and tag follow the distribution grammar, checked here so
 * that nothing odd ever reaches a URL path.
 */
import { RktError } from '../errors/rkt-error.js';
import { DIGEST_PATTERN } from '../schema/digest.js';

export interface DockerReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = ['docker.io', 'index.docker.io', DOCKER_HUB_REGISTRY];

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const MAX_NAME_LENGTH = 255;

/** `docker.io` and `index.docker.io` → `registry-1.docker.io`; other hosts unchanged (lower-cased). */
export function canonicalRegistryHost(registry: string): string {
  const lower = registry.toLowerCase();
  return DOCKER_HUB_ALIASES.includes(lower) ? DOCKER_HUB_REGISTRY : lower;
}

export function isValidRepository(repository: string): boolean {
  return repository.length > 0 && repository.length <= MAX_NAME_LENGTH && repository.split('/').every((part) => PATH_COMPONENT.test(part));
}

export function isValidRegistryHost(registry: string): boolean {
  if (!HOST_PATTERN.test(registry)) return false;
  const port = /:([0-9]+)$/.exec(registry.replace(/^\[.*\]/, ''))?.[1];
  return port === undefined || (Number(port) > 0 && Number(port) < 65536);
}

export function parseDockerReference(text: string): DockerReference {
  const fail = (problem: string): never => {
    throw new RktError('usage', 'ERR_IMAGE_REFERENCE_INVALID', `docker image ${JSON.stringify(text.slice(0, 300))}: ${problem}`, {
      hint: 'write docker://[REGISTRY[:PORT]/]NAME[:TAG][@DIGEST], e.g. docker://busybox, docker://127.0.0.1:5000/app:v1',
    });
  };
  if (text === '') fail('no image name');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_PATTERN.test(digest)) fail(`invalid digest ${JSON.stringify(digest.slice(0, 200))} (want sha256:<64 lowercase hex>)`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_PATTERN.test(tag)) fail(`invalid tag ${JSON.stringify(tag.slice(0, 200))}`);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : DOCKER_HUB_REGISTRY;
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  if (hasRegistry && !isValidRegistryHost(registry)) fail(`invalid registry host ${JSON.stringify(registry)}`);
  registry = canonicalRegistryHost(registry);
  if (registry === DOCKER_HUB_REGISTRY && repository !== '' && !repository.includes('/')) repository = `library/${repository}`;
  if (!isValidRepository(repository)) {
    fail(`invalid repository name ${JSON.stringify(repository.slice(0, 300))} (lower-case letters, digits and separators . _ __ - between them, components joined by /)`);
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Canonical text, e.g. `127.0.0.1:5000/busybox:latest`, `registry-1.docker.io/library/nginx@sha256:…`. */
export function formatDockerReference(ref: DockerReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
