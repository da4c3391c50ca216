/**
 * Appends a source's bytes to a partial file, from where the file ends: the source is asked for the
 * rest from that offset (an HTTP Range request, a file read from there); a source that cannot
 * resume there starts again from 0, and so does the file. What the file holds survives a failure
 * half-way, for the next attempt to resume. Used for blobs (`blob-store.ts`, which also checks
 * digest and size) and for appc images downloaded by URL, whose digest is only known at the end.
 */
import { chmod, open, stat, truncate, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RktError, isErrnoException } from '../errors/rkt-error.js';

export interface OpenedSource {
  stream: NodeJS.ReadableStream;
  /** Where the stream starts: the offset asked for, or 0 when the source cannot resume. */
  offset: number;
}

/** Opens the source's bytes from `offset` on (a file, a registry, a web server). */
export type SourceOpener = (offset: number, signal?: AbortSignal) => Promise<OpenedSource>;

export interface ResumeIntoFileOptions {
  partial: string;
  /** Mode of a file created now (0660 in a store shared with the rkt group). */
  mode: number;
  open: SourceOpener;
  /** Called with each chunk before it is written, and where the file will end after it; may throw to stop. */
  onChunk?: (chunk: Buffer, end: number) => void;
  /** The source started again from 0: the bytes kept so far are gone. */
  onRestart?: () => void;
  signal?: AbortSignal;
  /** Names the download in an error. */
  what: string;
}

/** The partial file's size, 0 when there is none. */
export async function partialBytes(partial: string): Promise<number> {
  return (await stat(partial).catch(() => undefined))?.size ?? 0;
}

export async function resumeIntoFile(options: ResumeIntoFileOptions): Promise<void> {
  const { partial } = options;
  let have = await partialBytes(partial);
  const opened = await options.open(have, options.signal);
  if (opened.offset !== have) {
    if (opened.offset !== 0) throw new RktError('store', 'ERR_STORE_RESUME_FAILED', `${options.what}: the source resumed at byte ${opened.offset}, not ${have}`);
    if (have > 0) await truncate(partial, 0);
    have = 0;
    options.onRestart?.();
  }
  await appendStream(opened.stream, have, options);
}

async function appendStream(stream: NodeJS.ReadableStream, start: number, options: ResumeIntoFileOptions): Promise<void> {
  const { partial, mode } = options;
  let handle;
  try {
    handle = await open(partial, 'a', mode);
  } catch (error) {
    // Another member of the rkt group left it behind, unwritable for us: start it afresh.
    if (!isErrnoException(error, 'EACCES')) throw error;
    await unlink(partial);
    handle = await open(partial, 'a', mode);
  }
  try {
    if (mode === 0o660) await chmod(partial, mode).catch(() => undefined);
    let end = start;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        end += chunk.length;
        try {
          options.onChunk?.(chunk, end);
        } catch (error) {
          done(error as Error);
          return;
        }
        handle!.write(chunk).then(() => done(), done);
      },
    });
    await (options.signal ? pipeline(stream, sink, { signal: options.signal }) : pipeline(stream, sink));
    await handle.sync();
  } finally {
    await handle.close();
  }
}
