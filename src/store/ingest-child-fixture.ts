/**
 * Test support: a process that ingests a blob from a file slowly (64 KiB chunks, one every 20 ms),
 * so that a test can kill it with SIGKILL half-way. Usage: node ingest-child-fixture.js DATA_DIR FILE DIGEST SIZE
 */
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ingestBlob } from './blob-store.js';

const [dataDir, file, digest, size] = process.argv.slice(2) as [string, string, string, string];

function slow(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sleep(20).then(() => done(null, chunk), done);
    },
  });
}

await ingestBlob({
  dataDir,
  digest,
  size: Number(size),
  open: async (offset) => ({ stream: createReadStream(file, { start: offset, highWaterMark: 64 * 1024 }).pipe(slow()), offset }),
});
process.stdout.write('done\n');
