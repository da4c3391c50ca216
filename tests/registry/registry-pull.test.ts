/**
 * The registry client against a real registry: Debian's docker-registry on 127.0.0.1 over plain
 * HTTP, images pushed with skopeo (busybox built with umoci, and a two-platform index).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDockerReference } from '../../src/image/docker-reference.js';
import { REF_NAME_ANNOTATION } from '../../src/image/oci-layout.js';
import { writeOciLayout } from '../../src/image/oci-layout-writer.js';
import { hostOciArchitecture } from '../../src/image/oci-platform.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/image/registry/registry-client.js';
import { resolveRegistryImage } from '../../src/image/registry/resolve-registry-image.js';
import { MEDIA_TYPE } from '../../src/schema/media-types.js';
import { busyboxLayout } from '../support/busybox-layout.js';
import { type TestRegistry, pushToRegistry, startRegistry } from '../support/registry.js';

const OPTIONS: RegistryClientOptions = { insecureHttp: true, insecureTls: false, credentialsFor: () => undefined, timeoutMs: 10_000 };
const OTHER_ARCH = hostOciArchitecture() === 's390x' ? 'riscv64' : 's390x';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A layout whose tag `multi` is an index of two images, one per platform, each with a file naming it. */
async function multiArchLayout(dir: string): Promise<void> {
  const entries = [];
  for (const architecture of [OTHER_ARCH, hostOciArchitecture()]) {
    const written = await writeOciLayout({ dir, tag: architecture, architecture, layers: [{ files: [{ path: 'arch', type: 'file', content: architecture }] }], config: { Cmd: ['/bin/true'] } });
    const size = fs.statSync(path.join(dir, 'blobs', 'sha256', written.manifestDigest.slice(7))).size;
    entries.push({ mediaType: MEDIA_TYPE.ociManifest, digest: written.manifestDigest, size, platform: { os: 'linux', architecture } });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: entries }));
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', sha256(index).slice(7)), index);
  const top = { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [{ mediaType: MEDIA_TYPE.ociIndex, digest: sha256(index), size: index.length, annotations: { [REF_NAME_ANNOTATION]: 'multi' } }] };
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(top));
}

describe('registry client against docker-registry (plain HTTP)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-registry-pull-'));

  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient(registry.host, OPTIONS);
    await pushToRegistry(`oci:${busyboxLayout()}:latest`, `docker://${registry.host}/busybox:latest`);
    const multi = path.join(work, 'multi');
    await multiArchLayout(multi);
    await pushToRegistry(`oci:${multi}:multi`, `docker://${registry.host}/multi:latest`, { all: true });
  });
  after(async () => {
    await registry?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('resolves busybox by tag, and every blob it names has that digest', async () => {
    const image = await resolveRegistryImage(client, parseDockerReference(`${registry.host}/busybox`));
    assert.equal(image.manifestDigest, sha256(image.manifestBytes));
    assert.ok(image.layers.length >= 1);
    for (const blob of [image.config, ...image.layers]) {
      const { stream, offset, totalSize } = await client.getBlob('busybox', blob.digest);
      const bytes = await readAll(stream);
      assert.equal(offset, 0);
      assert.equal(totalSize, blob.size);
      assert.equal(sha256(bytes), blob.digest);
    }
  });

  it('pulls by digest, and a digest reference gets exactly those bytes', async () => {
    const byTag = await client.getManifest('busybox', 'latest');
    const byDigest = await resolveRegistryImage(client, parseDockerReference(`${registry.host}/busybox@${byTag.digest}`));
    assert.equal(byDigest.manifestDigest, byTag.digest);
    assert.deepEqual(byDigest.manifestBytes, byTag.bytes);
  });

  it('follows a multi-architecture index to this host\'s image', async () => {
    const image = await resolveRegistryImage(client, parseDockerReference(`${registry.host}/multi:latest`));
    assert.ok(image.indexDigest);
    const config = JSON.parse((await readAll((await client.getBlob('multi', image.config.digest)).stream)).toString()) as { architecture: string };
    assert.equal(config.architecture, hostOciArchitecture());
    const index = await client.getManifest('multi', 'latest');
    assert.equal(index.mediaType, MEDIA_TYPE.ociIndex);
  });

  it('resumes a blob from an offset with Range, and reports progress', async () => {
    const image = await resolveRegistryImage(client, parseDockerReference(`${registry.host}/busybox`));
    const layer = image.layers[0]!;
    const whole = await readAll((await client.getBlob('busybox', layer.digest)).stream);
    const from = Math.floor(whole.length / 2);
    const positions: number[] = [];
    const resumed = await client.getBlob('busybox', layer.digest, { offset: from, onProgress: (p) => positions.push(p) });
    assert.equal(resumed.offset, from);
    assert.equal(resumed.totalSize, whole.length);
    assert.deepEqual(await readAll(resumed.stream), whole.subarray(from));
    assert.equal(positions.at(-1), whole.length);
  });

  it('says what was not found, naming registry, repository and reference', async () => {
    await assert.rejects(client.getManifest('busybox', 'nope'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_NOT_FOUND');
      assert.match(error.message, new RegExp(`registry ${registry.host}, repository busybox, manifest nope: .*404 \\(MANIFEST_UNKNOWN`));
      return true;
    });
    await assert.rejects(client.getBlob('busybox', `sha256:${'0'.repeat(64)}`), { code: 'ERR_REGISTRY_NOT_FOUND' });
    await assert.rejects(resolveRegistryImage(client, parseDockerReference(`${registry.host}/nothing/here`)), { code: 'ERR_REGISTRY_NOT_FOUND' });
  });

  it('refuses plain HTTP unless allowed, with a hint naming --insecure-options=http', async () => {
    const strict = new RegistryClient(registry.host, { ...OPTIONS, insecureHttp: false });
    await assert.rejects(strict.getManifest('busybox', 'latest'), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'ERR_REGISTRY_TLS');
      assert.match(error.hint ?? '', /--insecure-options=http/);
      return true;
    });
  });

  it('refuses repository names and references that are not in the grammar before any request', async () => {
    await assert.rejects(client.getManifest('../v2', 'latest'), { code: 'ERR_IMAGE_REFERENCE_INVALID' });
    await assert.rejects(client.getManifest('busybox', 'a/../../x'), { code: 'ERR_IMAGE_REFERENCE_INVALID' });
    await assert.rejects(client.getBlob('busybox', 'sha256:../../etc/passwd'), { code: 'ERR_IMAGE_DIGEST_INVALID' });
  });
});
