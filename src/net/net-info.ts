/** Reads and writes `<pod>/net-info.json` (src/schema/net-info.ts), atomically. */
import fs from 'node:fs';
import path from 'node:path';
import { isErrnoException } from '../errors/rkt-error.js';
import { netInfoSchema, type NetInfo } from '../schema/net-info.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';

export const NET_INFO_FILE = 'net-info.json';

export function writeNetInfo(podDir: string, info: NetInfo): void {
  const file = path.join(podDir, NET_INFO_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(info), { mode: 0o640 });
  fs.renameSync(`${file}.tmp`, file);
}

/** Undefined when the pod has no CNI networking (host, none, or set-up never began). */
export function readNetInfo(podDir: string): NetInfo | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(podDir, NET_INFO_FILE));
  } catch (error) {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'ENOTDIR')) return undefined;
    throw error;
  }
  return parseJsonDocument(bytes, netInfoSchema, `network record ${path.join(podDir, NET_INFO_FILE)}`);
}
