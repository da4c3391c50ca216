/**
 * Reads an ACI (appc aci.md): a tar holding exactly `manifest` and `rootfs/`, uncompressed or
 * compressed with gzip, bzip2 or xz (recognised by their magic bytes, as appc's DetectFileType).
 * The image ID is `sha512-` + the hex SHA-512 of the *uncompressed* tar, so the tar is
 * decompressed once into `workDir` while it is hashed; the store then keeps that uncompressed tar.
 * gzip is Node's zlib; bzip2 and xz are the system's `bzip2` and `xz` (see docs/architecture.md).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { createHash } from 'node:crypto';
import { RktError } from '../errors/rkt-error.js';
import { type AppcImageManifest, appcImageManifestSchema } from '../schema/appc-manifest.js';
import { MAX_JSON_DOCUMENT_BYTES, parseJsonDocument } from '../schema/parse-json-document.js';

export type AciCompression = 'none' | 'gzip' | 'bzip2' | 'xz';

/** A decompression bomb is cut off here. */
export const MAX_UNCOMPRESSED_ACI_BYTES = 64 * 1024 ** 3;

export interface AciFile {
  /** `sha512:<hex>` of the uncompressed tar. */
  digest: string;
  size: number;
  /** The uncompressed tar, in workDir. */
  tarPath: string;
  compression: AciCompression;
  manifestBytes: Buffer;
  manifest: AppcImageManifest;
}

export async function detectCompression(file: string): Promise<AciCompression> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(6);
    const { bytesRead } = await handle.read(head, 0, 6, 0);
    const magic = head.subarray(0, bytesRead);
    if (magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
    if (magic.length >= 3 && magic.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
    if (magic.length >= 6 && magic.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
    return 'none';
  } finally {
    await handle.close();
  }
}

function invalid(what: string, problem: string, cause?: unknown): RktError {
  return new RktError('image', 'ERR_ACI_INVALID', `${what}: ${problem}`, {
    hint: 'an ACI is a tar (optionally gzip, bzip2 or xz) of "manifest" and "rootfs/"',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The decompressed bytes of `file`; bzip2 and xz run as child processes. */
function decompressed(file: string, compression: AciCompression, what: string): { stream: Readable; done: Promise<void> } {
  if (compression === 'none') return { stream: createReadStream(file), done: Promise.resolve() };
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    createReadStream(file).on('error', (error) => gunzip.destroy(error)).pipe(gunzip);
    return { stream: gunzip, done: Promise.resolve() };
  }
  const tool = compression === 'xz' ? 'xz' : 'bzip2';
  const child = spawn(tool, ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-500)));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(invalid(what, `cannot run ${tool} to decompress it: ${error.message}`, error)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(invalid(what, `${tool} could not decompress it: ${stderr.trim() || `exit status ${code}`}`))));
  });
  return { stream: child.stdout, done };
}

/** Decompresses `file` into workDir/aci.tar, hashing it, then checks its entries and reads its manifest. */
export async function readAciFile(file: string, workDir: string, what = file): Promise<AciFile> {
  const compression = await detectCompression(file).catch((error: NodeJS.ErrnoException) => {
    throw new RktError('image', 'ERR_IMAGE_NOT_FOUND', `${what}: cannot read it: ${error.message}`, { cause: error });
  });
  const tarPath = join(workDir, 'aci.tar');
  const hash = createHash('sha512');
  let size = 0;
  const meter = new PassThrough({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > MAX_UNCOMPRESSED_ACI_BYTES) {
        done(invalid(what, `uncompresses to more than ${MAX_UNCOMPRESSED_ACI_BYTES} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const source = decompressed(file, compression, what);
  try {
    await Promise.all([pipeline(source.stream, meter, createWriteStream(tarPath, { mode: 0o600 })), source.done]);
  } catch (error) {
    if (error instanceof RktError) throw error;
    throw invalid(what, `cannot decompress it (${compression}): ${(error as Error).message}`, error);
  }
  const manifestBytes = await readAciEntries(tarPath, what);
  const manifest = parseJsonDocument(manifestBytes, appcImageManifestSchema, `${what}: manifest`);
  return { digest: `sha512:${hash.digest('hex')}`, size, tarPath, compression, manifestBytes, manifest };
}

/** Checks the top level (only `manifest` and `rootfs/`) and returns the manifest's bytes. */
export async function readAciEntries(tarPath: string, what: string): Promise<Buffer> {
  const extract = tar.extract();
  let manifest: Buffer | undefined;
  let rootfs = false;
  const reading = pipeline(createReadStream(tarPath), extract as unknown as Writable);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.split('/').filter((part) => part !== '' && part !== '.');
      const top = name[0];
      if (top === 'manifest' && name.length === 1) {
        if (manifest !== undefined) throw invalid(what, 'has more than one "manifest" entry');
        if (entry.header.type !== 'file') throw invalid(what, '"manifest" is not a regular file');
        if ((entry.header.size ?? 0) > MAX_JSON_DOCUMENT_BYTES) throw invalid(what, `its manifest is larger than ${MAX_JSON_DOCUMENT_BYTES} bytes`);
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        manifest = Buffer.concat(chunks);
        continue;
      }
      if (top === 'rootfs') {
        if (name.length === 1 && entry.header.type !== 'directory') throw invalid(what, '"rootfs" is not a directory');
        rootfs = true;
      } else {
        throw invalid(what, `has ${JSON.stringify(entry.header.name.slice(0, 200))} at its top level; only "manifest" and "rootfs/" are allowed`);
      }
      entry.resume();
    }
    await reading;
  } catch (error) {
    extract.destroy();
    await reading.catch(() => undefined);
    if (error instanceof RktError) throw error;
    throw invalid(what, `is not a valid tar: ${(error as Error).message}`, error);
  }
  if (manifest === undefined) throw invalid(what, 'has no "manifest"');
  if (!rootfs) throw invalid(what, 'has no "rootfs/"');
  return manifest;
}
