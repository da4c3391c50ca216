/**
 * Packages the static sample program (native/out/sample) as an OCI image layout tagged `latest`:
 *
 *   node build/scripts/build-sample-image.js <sample-binary> <out-layout-dir>
 *
 * The image runs /bin/sample as the unprivileged user `sample` (1000:1000) in /home/sample.
 */
import { readFile } from 'node:fs/promises';
import { writeOciLayout } from '../src/image/oci-layout-writer.js';

async function main(): Promise<void> {
  const [binaryPath, outDir] = process.argv.slice(2);
  if (!binaryPath || !outDir) {
    process.stderr.write('usage: node build/scripts/build-sample-image.js <sample-binary> <out-layout-dir>\n');
    process.exit(2);
  }
  const written = await writeOciLayout({
    dir: outDir,
    tag: 'latest',
    layers: [
      {
        files: [
          { path: 'bin/', type: 'dir', mode: 0o755 },
          { path: 'bin/sample', type: 'file', mode: 0o755, content: await readFile(binaryPath) },
          { path: 'etc/', type: 'dir', mode: 0o755 },
          { path: 'etc/passwd', type: 'file', mode: 0o644, content: 'root:x:0:0:root:/root:/bin/sample\nsample:x:1000:1000:sample:/home/sample:/bin/sample\n' },
          { path: 'etc/group', type: 'file', mode: 0o644, content: 'root:x:0:\nsample:x:1000:\n' },
          { path: 'home/', type: 'dir', mode: 0o755 },
          { path: 'home/sample/', type: 'dir', mode: 0o755, uid: 1000, gid: 1000 },
        ],
      },
    ],
    config: {
      Entrypoint: ['/bin/sample'],
      Cmd: ['--greet', 'world'],
      Env: ['PATH=/bin', 'SAMPLE_GREETING=hello from the embedded image'],
      WorkingDir: '/home/sample',
      User: 'sample',
    },
  });
  process.stdout.write(`${outDir}: latest = ${written.manifestDigest}\n`);
}

await main();
