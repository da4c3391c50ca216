import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MEDIA_TYPE } from '../schema/media-types.js';
import { readOciImage } from './oci-layout.js';
import { writeOciLayout } from './oci-layout-writer.js';
import { hostOciArchitecture } from './oci-platform.js';

const base = mkdtempSync(join(tmpdir(), 'rkt-layout-'));
after(() => rmSync(base, { recursive: true, force: true }));

async function layout(tags: string[] = ['latest']): Promise<string> {
  const dir = mkdtempSync(join(base, 'l-'));
  for (const tag of tags) {
    await writeOciLayout({
      dir,
      tag,
      layers: [{ files: [{ path: 'a', type: 'file', content: tag }] }, { files: [{ path: 'b', type: 'file' }] }],
      config: { Entrypoint: ['/bin/app'], Env: ['PATH=/bin'], User: '1000:1000', WorkingDir: '/w', Labels: { k: 'v' } },
    });
  }
  return dir;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Stores `value` as a blob and returns its descriptor fields. */
function putBlob(dir: string, value: unknown): { digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

function setIndex(dir: string, manifests: unknown[]): void {
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}

function topEntry(dir: string): Record<string, unknown> {
  const index = readJson(join(dir, 'index.json')) as { manifests: Record<string, unknown>[] };
  return index.manifests[0] as Record<string, unknown>;
}

async function assertRejects(promise: Promise<unknown>, code: string, pattern?: RegExp, hint?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string; hint?: string }) => {
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    if (hint) assert.match(error.hint ?? '', hint);
    return true;
  });
}

describe('readOciImage', () => {
  it('reads back a layout written by the project writer', async () => {
    const dir = await layout();
    const image = await readOciImage(dir, 'latest');
    assert.equal(image.layers.length, 2);
    assert.deepEqual(image.config.config?.Entrypoint, ['/bin/app']);
    assert.equal(image.config.architecture, hostOciArchitecture());
    assert.equal(image.layers[0]?.mediaType, MEDIA_TYPE.ociLayerGzip);
    assert.match(image.layers[0]?.diffId ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(image.blobPath(image.configDigest), join(dir, 'blobs', 'sha256', image.configDigest.slice(7)));
    assert.equal((await readOciImage(dir)).manifestDigest, image.manifestDigest, 'the only image is used without a tag');
  });

  it('says when the layout or its marker is missing or wrong', async () => {
    await assertRejects(readOciImage(join(base, 'nope')), 'ERR_IMAGE_LAYOUT_NOT_FOUND', /nope/);
    const dir = await layout();
    rmSync(join(dir, 'oci-layout'));
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_LAYOUT_INVALID', /oci-layout is missing/);
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"9.9.9"}');
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_DOCUMENT_INVALID', /imageLayoutVersion/);
  });

  it('lists the tags present when a tag is missing, or when several images need one', async () => {
    const dir = await layout(['one', 'two']);
    await assertRejects(readOciImage(dir, 'three'), 'ERR_IMAGE_TAG_NOT_FOUND', /"three"/, /one, two/);
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_TAG_REQUIRED', /2 images/, /one, two/);
    assert.equal((await readOciImage(dir, 'two')).layers.length, 2);
  });

  it('refuses a manifest whose digest or size does not match', async () => {
    const dir = await layout();
    const entry = topEntry(dir);
    const blob = join(dir, 'blobs', 'sha256', String(entry.digest).slice(7));
    writeFileSync(blob, readFileSync(blob, 'utf8').replace('"schemaVersion":2', '"schemaVersion":2 '));
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_BLOB_SIZE_MISMATCH');
    writeFileSync(blob, readFileSync(blob, 'utf8').replace('"schemaVersion":2 ', '"schemaVersion":3'));
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_DIGEST_MISMATCH', new RegExp(String(entry.digest)));
  });

  it('refuses path-like digests in index.json before touching the filesystem', async () => {
    const dir = await layout();
    setIndex(dir, [{ ...topEntry(dir), digest: 'sha256:../../../../etc/passwd' }]);
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_DOCUMENT_INVALID', /index\.json field manifests\.0\.digest/);
  });

  it('refuses wrong media types and documents that contradict their descriptor', async () => {
    const dir = await layout();
    const entry = topEntry(dir);
    setIndex(dir, [{ ...entry, mediaType: 'application/vnd.oci.image.layer.v1.tar' }]);
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_MEDIA_TYPE', /is not one of/);
    // The index descriptor says index, but the blob is a manifest.
    setIndex(dir, [{ ...entry, mediaType: MEDIA_TYPE.ociIndex }]);
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_DOCUMENT_INVALID', /field manifests: expected array/);
    // The descriptor says Docker manifest, the document says OCI manifest.
    setIndex(dir, [{ ...entry, mediaType: MEDIA_TYPE.dockerManifest }]);
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_MEDIA_TYPE', /the document says it is application\/vnd\.oci\.image\.manifest/);
  });

  it('refuses a config whose diff_ids do not pair with the layers', async () => {
    const dir = await layout();
    const image = await readOciImage(dir);
    const config = putBlob(dir, { ...image.config, rootfs: { type: 'layers', diff_ids: [image.layers[0]?.diffId] } });
    const manifest = putBlob(dir, { ...image.manifest, config: { ...image.manifest.config, ...config } });
    setIndex(dir, [{ mediaType: MEDIA_TYPE.ociManifest, ...manifest }]);
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_LAYOUT_INVALID', /2 layers but the config lists 1 diff_ids/);
  });

  it('selects this host’s platform through a nested index, and refuses a foreign-only image', async () => {
    const dir = await layout();
    const entry = topEntry(dir);
    const own = { ...entry, platform: { os: 'linux', architecture: hostOciArchitecture() } };
    const foreign = { ...entry, digest: `sha256:${'1'.repeat(64)}`, platform: { os: 'windows', architecture: 'amd64' } };
    const nested = putBlob(dir, { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [foreign, own] });
    setIndex(dir, [{ mediaType: MEDIA_TYPE.ociIndex, ...nested, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }]);
    assert.equal((await readOciImage(dir, 'multi')).manifestDigest, entry.digest);
    const onlyForeign = putBlob(dir, { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [foreign, { ...foreign, digest: `sha256:${'2'.repeat(64)}` }] });
    setIndex(dir, [{ mediaType: MEDIA_TYPE.ociIndex, ...onlyForeign }]);
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_PLATFORM_MISMATCH', /no image for linux\//, /windows\/amd64/);
  });

  it('refuses an image for another platform', async () => {
    const dir = mkdtempSync(join(base, 'arch-'));
    await writeOciLayout({ dir, tag: 't', layers: [], config: {}, architecture: 'sparc' });
    await assertRejects(readOciImage(dir), 'ERR_IMAGE_PLATFORM_MISMATCH', /linux\/sparc/);
  });
});
