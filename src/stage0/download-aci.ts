/**
 * Downloads an ACI by URL, resumably (reference §3.3: rkt resumed interrupted downloads with HTTP
 * Range). The bytes go to `cas/ingest/aci-<sha256 of the URL>`, through the same resume code as
 * blobs (`resume-into-file.ts`); beside it, `.validator` holds what named the version being
 * downloaded (its strong ETag, else its Last-Modified). A download cut off half-way keeps both, and
 * the next fetch of the URL asks for the rest with `Range` and `If-Range`: a server whose resource
 * changed meanwhile sends it whole, and the partial copy is started again (a server that ignores
 * `If-Range` is caught by the validator of its answer, and asked for the whole). Nothing is trusted for
 * being resumed: the complete file is verified by its signature like any other. One download per
 * URL at a time (`cas/locks/aci-<sha256 of the URL>.lock`).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RktError } from '../errors/rkt-error.js';
import { type AciResponse, type AppcHttp, aciFetchError, getAci, resumeValidator } from '../image/appc/appc-http.js';
import { withExclusiveFileLock } from '../store/file-lock.js';
import { partialBytes, resumeIntoFile } from '../store/resume-into-file.js';
import { prepareStoreDirs, sharedFileMode } from '../store/store-dirs.js';

export interface AciDownload {
  /** 304: the stored copy (its ETag was given) is current, and nothing was written. */
  status: 200 | 304;
  url: URL;
  headers: IncomingMessage['headers'];
}

/** Downloads `url` into `target` (a file that does not exist yet); `storedEtag` makes it conditional. */
export async function downloadAci(dataDir: string, url: URL, http: AppcHttp, target: string, storedEtag?: string): Promise<AciDownload> {
  const dirs = await prepareStoreDirs(dataDir);
  const key = `aci-${createHash('sha256').update(url.href).digest('hex')}`;
  const partial = join(dirs.ingest, key);
  const validatorFile = `${partial}.validator`;
  const mode = sharedFileMode(dirs.groupShared);
  return withExclusiveFileLock(join(dirs.locks, `${key}.lock`), async () => {
    const validator = await readFile(validatorFile, 'utf8').catch(() => undefined);
    let response: AciResponse | undefined;
    try {
      await resumeIntoFile({
        partial,
        mode,
        what: `ACI ${url.href}`,
        open: async (offset) => {
          const conditional = storedEtag === undefined ? {} : { ifNoneMatch: storedEtag };
          const resume = offset > 0 && validator !== undefined ? { resume: { offset, validator } } : {};
          response = await getAci(url, http, { ...conditional, ...resume });
          if (response.status === 206 && resumeValidator(response.headers) !== validator) {
            // A server that ignores If-Range sends the rest of another version: ask for all of it.
            response.body!.destroy();
            response = await getAci(url, http, conditional);
          }
          if (response.status === 304) return { stream: Readable.from([]), offset };
          // Recorded before the body arrives, so that a cut-off copy always says which version it is of.
          const next = resumeValidator(response.headers);
          if (next === undefined) await rm(validatorFile, { force: true });
          else await writeFile(validatorFile, next, { mode });
          return { stream: response.body!, offset: response.offset };
        },
      });
    } catch (error) {
      if (error instanceof RktError) throw error;
      throw aciFetchError(url, `the download of ${url.href} was cut off after ${await partialBytes(partial)} bytes: ${(error as Error).message}`, {
        hint: 'fetch it again: the download resumes where it stopped',
        cause: error,
      });
    }
    const answer = response!;
    if (answer.status === 304) return { status: 304, url: answer.url, headers: answer.headers };
    await rename(partial, target);
    await rm(validatorFile, { force: true });
    return { status: 200, url: answer.url, headers: answer.headers };
  });
}
