/**
 * Finds a stored image from what a user typed to `rkt image …`: an image ID (`sha256-<hex>` or
 * `sha256:<hex>`, full or a unique prefix of at least two hex digits), or a name the store knows
 * (the reference it was fetched as: `oci:/abs/layout:tag`, `docker://…`; relative paths are made
 * absolute first).
 */
import { RktError } from '../errors/rkt-error.js';
import { appcStoreName, canonicalImageName, parseImageId, parseImageReference } from '../image/image-reference.js';
import type { ImageIndex, ImageRecord } from '../store/image-index.js';
import { sourceName } from './source-name.js';

export function formatImageId(id: string, full: boolean): string {
  const dashed = id.replace(':', '-');
  return full ? dashed : dashed.slice(0, dashed.indexOf('-') + 1 + 12);
}

function nameCandidates(text: string): string[] {
  const names = [text];
  try {
    const reference = parseImageReference(text);
    if (reference.transport === 'docker') names.push(sourceName(reference).name);
    else if (reference.transport === 'appc') names.push(appcStoreName(reference.name, reference.labels));
    else if (reference.transport !== 'store' && reference.transport !== 'aci-file' && reference.transport !== 'aci-url') names.push(canonicalImageName(reference));
  } catch {
    // not a reference: only the literal name can match
  }
  return names;
}

export function resolveStoredImage(index: ImageIndex, text: string): ImageRecord {
  const id = parseImageId(text);
  if (id !== undefined) {
    const matches = index.findByIdPrefix(id);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new RktError('usage', 'ERR_IMAGE_ID_AMBIGUOUS', `image ID ${text} matches ${matches.length} images`, {
        hint: `give more digits: ${matches.map((m) => formatImageId(m.id, true).slice(0, 24)).join(', ')}`,
      });
    }
  }
  for (const name of nameCandidates(text)) {
    const record = index.findByName(name);
    if (record !== undefined) return record;
  }
  throw new RktError('store', 'ERR_IMAGE_NOT_IN_STORE', `no image ${JSON.stringify(text)} in the store`, { hint: 'rkt image list shows the images the store holds' });
}
