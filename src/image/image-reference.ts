/**
 * Parses what the user typed to name an image. So far only OCI image layout directories are
 * supported: `oci:PATH[:TAG]`.
 *
 * PATH may itself contain ':'. The rule, in order:
 *  1. if everything after `oci:` is an existing directory, that is PATH and there is no tag;
 *  2. else if the text after the last ':' is a valid OCI ref name, it is the TAG and the rest PATH;
 *  3. else the whole text is PATH (and reading the layout will say it does not exist).
 * Without a tag, the layout's index.json must hold exactly one manifest (see readOciImage); there is
 * no implicit `latest`, because picking one of several images silently is worse than asking.
 */
import { statSync } from 'node:fs';
import { RktError } from '../errors/rkt-error.js';

export interface OciLayoutReference {
  transport: 'oci';
  layoutPath: string;
  tag: string | undefined;
}

export type ImageReference = OciLayoutReference;

/** The `org.opencontainers.image.ref.name` grammar of the OCI image layout spec. */
const OCI_REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

export function isValidOciRefName(name: string): boolean {
  return name.length <= 255 && OCI_REF_NAME.test(name);
}

const KNOWN_TRANSPORTS = ['docker://', 'docker-archive:', 'oci-archive:', 'docker-daemon:', 'containers-storage:', 'dir:', 'http://', 'https://'];

export function parseImageReference(text: string): ImageReference {
  if (text.startsWith('oci:')) return parseOciLayoutReference(text, text.slice('oci:'.length));
  const transport = KNOWN_TRANSPORTS.find((prefix) => text.startsWith(prefix));
  const what = transport ? `the ${transport.replace(/:\/*$/, '')} transport` : text.endsWith('.aci') ? 'ACI files' : 'appc image names';
  throw new RktError('image', 'ERR_IMAGE_TRANSPORT_UNSUPPORTED', `image ${JSON.stringify(text)}: ${what} not supported yet`, {
    hint: 'only OCI image layout directories are supported so far: oci:PATH[:TAG]',
  });
}

function parseOciLayoutReference(text: string, rest: string): OciLayoutReference {
  if (rest === '') {
    throw new RktError('usage', 'ERR_IMAGE_REFERENCE_INVALID', `image ${JSON.stringify(text)}: no layout path after "oci:"`, {
      hint: 'write oci:PATH[:TAG], e.g. oci:./my-layout:latest',
    });
  }
  if (isDirectory(rest)) return { transport: 'oci', layoutPath: rest, tag: undefined };
  const colon = rest.lastIndexOf(':');
  const tag = rest.slice(colon + 1);
  if (colon > 0 && isValidOciRefName(tag)) return { transport: 'oci', layoutPath: rest.slice(0, colon), tag };
  return { transport: 'oci', layoutPath: rest, tag: undefined };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
