/**
 * What an rkt store holds, for checking that a refused fetch left nothing behind: the images the
 * index lists and the blobs in `cas/blobs`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runRkt } from './run-rkt.js';

export interface StoreContents {
  images: string[];
  blobs: string[];
}

export async function storeContents(dataDir: string): Promise<StoreContents> {
  const listed = await runRkt(dataDir, ['image', 'list', '--no-legend', '--full']);
  const images = listed.stdout.split('\n').filter(Boolean).map((line) => line.split(/\s+/)[0]!).sort();
  const blobsDir = path.join(dataDir, 'cas', 'blobs');
  const blobs = fs.existsSync(blobsDir) ? fs.readdirSync(blobsDir).flatMap((algorithm) => fs.readdirSync(path.join(blobsDir, algorithm)).map((hex) => `${algorithm}:${hex}`)).sort() : [];
  return { images, blobs };
}
