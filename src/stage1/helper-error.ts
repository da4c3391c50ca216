/** The structured failure the stage1 helper leaves in the pod (docs/stage1-interface.md, "Errors"). */
import fs from 'node:fs';
import { isErrnoException } from '../errors/rkt-error.js';

export interface Stage1Failure {
  what: string;
  path: string;
  errno: number;
  errnoName: string;
  message: string;
}

function isStage1Failure(value: unknown): value is Stage1Failure {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.what === 'string' && typeof record.message === 'string' && typeof record.errno === 'number';
}

/** Undefined when the helper left no error; a malformed file is reported as such, not thrown. */
export function readStage1Failure(file: string): Stage1Failure | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'ENOTDIR')) return undefined;
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isStage1Failure(parsed)) return parsed;
  } catch {
    // fall through: report the raw text below
  }
  return { what: 'unknown', path: file, errno: 0, errnoName: '', message: `unreadable stage1 error file: ${text.slice(0, 200)}` };
}
