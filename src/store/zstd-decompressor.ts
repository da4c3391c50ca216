/**
 * zstd decompression for layers (OCI's `tar+zstd`). Node 20's zlib has no zstd; the reference
 * implementation's own command-line tool (Debian's `zstd`) streams it at native speed, where a
 * JavaScript decoder would be several times slower. What comes out is still checked against the
 * layer's diff_id and size limit by the caller, so a misbehaving decompressor cannot slip content in.
 */
import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { RktError } from '../errors/rkt-error.js';

export function zstdDecompressor(layerDigest: string): Duplex {
  const child = spawn('zstd', ['--decompress', '--stdout', '--quiet', '--no-progress'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 2000) stderr += chunk;
  });
  // The output ends only once zstd has exited well, so a corrupt input fails here, by name,
  // rather than as a short (and so mismatching) layer further down.
  const output = new PassThrough();
  child.stdout.pipe(output, { end: false });
  const stream = Duplex.from({ writable: child.stdin, readable: output });
  child.on('error', (error: NodeJS.ErrnoException) => {
    stream.destroy(
      error.code === 'ENOENT'
        ? new RktError('system', 'ERR_ZSTD_MISSING', `layer ${layerDigest} is zstd-compressed, and the zstd program is not installed`, {
            hint: 'install it (apt-get install zstd)',
          })
        : error,
    );
  });
  child.on('close', (code) => {
    if (code === 0) output.end();
    else stream.destroy(new Error(`zstd could not decompress layer ${layerDigest}: ${stderr.trim() || `exit status ${code}`}`));
  });
  // If the pipeline stops early (a digest mismatch, the extractor failed), zstd must not linger.
  stream.on('close', () => child.kill());
  return stream;
}
