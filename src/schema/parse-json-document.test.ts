import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findDuplicateJsonKey } from './find-duplicate-json-key.js';
import { ociImageConfigSchema } from './oci-image-config.js';
import { ociIndexSchema } from './oci-index.js';
import { ociLayoutFileSchema } from './oci-layout-file.js';
import { ociManifestSchema } from './oci-manifest.js';
import { MAX_JSON_DOCUMENT_BYTES, parseJsonDocument } from './parse-json-document.js';
import { parseDigest } from './digest.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 10 };

function parse<T>(value: unknown, schema: Parameters<typeof parseJsonDocument<T>>[1], where = 'doc.json'): T {
  return parseJsonDocument(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), schema, where);
}

function assertInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: Error & { code?: string }) => {
    assert.equal(error.code, 'ERR_IMAGE_DOCUMENT_INVALID');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parseJsonDocument', () => {
  it('accepts a valid index, manifest and config', () => {
    assert.equal(parse({ schemaVersion: 2, manifests: [descriptor] }, ociIndexSchema).manifests.length, 1);
    const manifest = parse({ schemaVersion: 2, config: { ...descriptor, mediaType: 'x' }, layers: [descriptor] }, ociManifestSchema);
    assert.equal(manifest.layers.length, 1);
    const config = parse(
      { architecture: 'amd64', os: 'linux', config: { Entrypoint: null, Cmd: ['sh'], ExposedPorts: { '80/tcp': {} }, Labels: null }, rootfs: { type: 'layers', diff_ids: [DIGEST] } },
      ociImageConfigSchema,
    );
    assert.deepEqual(config.config?.Cmd, ['sh']);
  });

  it('names the file and the field at fault', () => {
    assertInvalid(() => parse({ schemaVersion: 2, manifests: [{ ...descriptor, digest: 'sha256:../../etc/passwd' }] }, ociIndexSchema, 'index.json'), /^index\.json field manifests\.0\.digest: must be sha256:/);
    assertInvalid(() => parse({ schemaVersion: 2, manifests: [{ ...descriptor, size: '10' }] }, ociIndexSchema), /field manifests\.0\.size: expected number/);
    assertInvalid(() => parse({ schemaVersion: 1, manifests: [] }, ociIndexSchema), /field schemaVersion: must be 2/);
    assertInvalid(() => parse({ imageLayoutVersion: '2.0.0' }, ociLayoutFileSchema, 'oci-layout'), /oci-layout field imageLayoutVersion: must be "1.0.0"/);
    assertInvalid(() => parse({ architecture: 'amd64', os: 'linux', rootfs: { type: 'tarball', diff_ids: [] } }, ociImageConfigSchema), /field rootfs\.type/);
    assertInvalid(() => parse({ architecture: 'amd64', os: 'linux', config: { Env: 'A=1' }, rootfs: { type: 'layers', diff_ids: [] } }, ociImageConfigSchema), /field config\.Env: expected array/);
  });

  it('refuses sizes past 2^53, too many layers and oversized documents', () => {
    assertInvalid(() => parse(`{"schemaVersion":2,"manifests":[{"mediaType":"m","digest":"${DIGEST}","size":9007199254740993}]}`, ociIndexSchema), /manifests\.0\.size/);
    const layers = Array.from({ length: 129 }, () => descriptor);
    assertInvalid(() => parse({ schemaVersion: 2, config: descriptor, layers }, ociManifestSchema), /field layers: must be at most 128 items/);
    assertInvalid(() => parseJsonDocument(Buffer.alloc(MAX_JSON_DOCUMENT_BYTES + 1, 0x20), ociIndexSchema, 'big.json'), /more than the limit/);
  });

  it('refuses media-type confusion between index and manifest', () => {
    assertInvalid(() => parse({ schemaVersion: 2, manifests: [], layers: [] }, ociIndexSchema), /field layers: must not appear in an index/);
    assertInvalid(() => parse({ schemaVersion: 2, config: descriptor, layers: [], manifests: [] }, ociManifestSchema), /field manifests: must not appear in a manifest/);
  });

  it('refuses duplicate keys, invalid JSON and invalid UTF-8', () => {
    assertInvalid(() => parse(`{"schemaVersion":2,"manifests":[],"schemaVersion":2}`, ociIndexSchema), /key "schemaVersion" more than once/);
    assertInvalid(() => parse('{"schemaVersion":', ociIndexSchema), /not valid JSON/);
    assert.throws(() => parseJsonDocument(Buffer.from([0x7b, 0xff, 0x7d]), ociIndexSchema, 'x'));
  });
});

describe('findDuplicateJsonKey', () => {
  it('finds duplicates at any depth, decoding escapes, and ignores look-alikes in values and arrays', () => {
    assert.equal(findDuplicateJsonKey('{"a":{"b":1,"\\u0062":2}}'), 'b');
    assert.equal(findDuplicateJsonKey('{"a":"a","b":["a","a"],"c":{"a":1},"d":"x\\"y"}'), undefined);
    assert.equal(findDuplicateJsonKey('[{"a":1},{"a":2}]'), undefined);
  });
});

describe('parseDigest', () => {
  it('accepts sha256 and sha512 and refuses everything else', () => {
    assert.deepEqual(parseDigest(DIGEST, 'x'), { algorithm: 'sha256', hex: 'a'.repeat(64) });
    assert.equal(parseDigest(`sha512:${'b'.repeat(128)}`, 'x').algorithm, 'sha512');
    for (const bad of [`sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, 'sha256:../../../etc/passwd', `md5:${'a'.repeat(32)}`, `sha256:${'a'.repeat(64)}\n`, `sha256:${'a'.repeat(64)}/..`]) {
      assert.throws(() => parseDigest(bad, 'where'), { code: 'ERR_IMAGE_DIGEST_INVALID' });
    }
  });
});
