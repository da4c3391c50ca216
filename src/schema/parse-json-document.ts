/**
 * Turns the bytes of a JSON document (oci-layout, index, manifest, config) into a validated value.
 * Every failure is an RktError that names the document and the field at fault.
 */
import type * as z from 'zod/mini';
import { RktError } from '../errors/rkt-error.js';
import { findDuplicateJsonKey } from './find-duplicate-json-key.js';

/** Manifests, indexes and configs are small; anything bigger is refused before parsing. */
export const MAX_JSON_DOCUMENT_BYTES = 4 * 1024 * 1024;

export function parseJsonDocument<T>(bytes: Buffer, schema: z.ZodMiniType<T>, where: string): T {
  if (bytes.length > MAX_JSON_DOCUMENT_BYTES) {
    throw invalid(where, `is ${bytes.length} bytes, more than the limit of ${MAX_JSON_DOCUMENT_BYTES}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalid(where, 'is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(where, `is not valid JSON (${(error as Error).message})`);
  }
  const duplicate = findDuplicateJsonKey(text);
  if (duplicate !== undefined) throw invalid(where, `has the key ${JSON.stringify(duplicate)} more than once`);
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(document)';
    throw invalid(where, `field ${field}: ${issue ? describeIssue(issue) : 'invalid'}`);
  }
  return result.data;
}

function invalid(where: string, problem: string): RktError {
  return new RktError('image', 'ERR_IMAGE_DOCUMENT_INVALID', `${where} ${problem}`);
}

/** zod/mini ships no message locale, so its issues read "Invalid input"; say what was wrong instead. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `has an invalid format`;
    default:
      return issue.code;
  }
}
