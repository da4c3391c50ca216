import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { appcStoreName, isValidOciRefName, parseImageReference } from './image-reference.js';

const base = mkdtempSync(join(tmpdir(), 'rkt-ref-'));
after(() => rmSync(base, { recursive: true, force: true }));

describe('parseImageReference', () => {
  it('splits oci:PATH:TAG at the last colon', () => {
    assert.deepEqual(parseImageReference('oci:/images/app:v1.2'), { transport: 'oci', layoutPath: '/images/app', tag: 'v1.2' });
    assert.deepEqual(parseImageReference('oci:./a:b:latest'), { transport: 'oci', layoutPath: './a:b', tag: 'latest' });
    assert.deepEqual(parseImageReference('oci:relative'), { transport: 'oci', layoutPath: 'relative', tag: undefined });
  });

  it('takes an existing directory whole, even with a colon in its name', () => {
    const dir = join(base, 'layout:v2');
    mkdirSync(dir);
    assert.deepEqual(parseImageReference(`oci:${dir}`), { transport: 'oci', layoutPath: dir, tag: undefined });
    assert.deepEqual(parseImageReference(`oci:${dir}:v3`), { transport: 'oci', layoutPath: dir, tag: 'v3' });
  });

  it('keeps a suffix that is not a valid ref name as part of the path', () => {
    assert.deepEqual(parseImageReference('oci:/x:bad tag'), { transport: 'oci', layoutPath: '/x:bad tag', tag: undefined });
    assert.deepEqual(parseImageReference('oci:/x:'), { transport: 'oci', layoutPath: '/x:', tag: undefined });
  });

  it('refuses an empty path', () => {
    assert.throws(() => parseImageReference('oci:'), { code: 'ERR_IMAGE_REFERENCE_INVALID' });
  });

  it('refuses transports rkt does not read, naming the reference and listing those it does', () => {
    for (const text of ['containers-storage:x', 'sha256-', 'Example.com/App', 'a..b', 'example.com/app,name=x']) {
      assert.throws(
        () => parseImageReference(text),
        (error: Error & { code?: string; hint?: string }) =>
          error.code === 'ERR_IMAGE_TRANSPORT_UNSUPPORTED' && error.message.includes(JSON.stringify(text)) && (error.hint ?? '').includes('oci:PATH[:TAG]'),
      );
    }
  });

  it('parses ACI files, ACI URLs and appc names (reference §3.2)', () => {
    assert.deepEqual(parseImageReference('/tmp/app.aci'), { transport: 'aci-file', path: '/tmp/app.aci' });
    assert.deepEqual(parseImageReference('./app'), { transport: 'aci-file', path: './app' });
    assert.deepEqual(parseImageReference('app.aci'), { transport: 'aci-file', path: 'app.aci' });
    assert.deepEqual(parseImageReference('file:///tmp/a%20b.aci'), { transport: 'aci-file', path: '/tmp/a b.aci' });
    assert.deepEqual(parseImageReference('https://example.com/a.aci'), { transport: 'aci-url', url: 'https://example.com/a.aci' });
    assert.deepEqual(parseImageReference('example.com/app:v1,os=linux'), { transport: 'appc', name: 'example.com/app', labels: [['version', 'v1'], ['os', 'linux']] });
    assert.deepEqual(parseImageReference('busybox'), { transport: 'appc', name: 'busybox', labels: [] });
    assert.equal(appcStoreName('example.com/app', [['version', '1'], ['os', 'linux'], ['arch', 'amd64']]), 'example.com/app:1,arch=amd64,os=linux');
  });

  it('parses archives, registries and store IDs', () => {
    const file = join(base, 'img:1.tar');
    writeFileSync(file, '');
    assert.deepEqual(parseImageReference(`oci-archive:${file}`), { transport: 'oci-archive', archivePath: file, tag: undefined });
    assert.deepEqual(parseImageReference(`oci-archive:${file}:v1`), { transport: 'oci-archive', archivePath: file, tag: 'v1' });
    assert.deepEqual(parseImageReference(`docker-archive:${file}`), { transport: 'docker-archive', archivePath: file, repoTag: undefined });
    assert.deepEqual(parseImageReference(`docker-archive:${file}:busybox:latest`), { transport: 'docker-archive', archivePath: file, repoTag: 'busybox:latest' });
    assert.deepEqual(parseImageReference('docker://busybox:1.36'), { transport: 'docker', text: 'busybox:1.36' });
    assert.deepEqual(parseImageReference('docker:busybox'), { transport: 'docker', text: 'busybox' });
    assert.deepEqual(parseImageReference('sha256-AB12'), { transport: 'store', idPrefix: 'sha256:ab12' });
    assert.throws(() => parseImageReference('docker://'), { code: 'ERR_IMAGE_REFERENCE_INVALID' });
    assert.throws(() => parseImageReference('oci-archive:'), { code: 'ERR_IMAGE_REFERENCE_INVALID' });
  });
});

describe('isValidOciRefName', () => {
  it('follows the image-layout ref.name grammar', () => {
    for (const ok of ['latest', 'v1.0', 'a--b', 'example.com/app', 'a_b']) assert.ok(isValidOciRefName(ok), ok);
    for (const bad of ['', '-a', 'a-', 'a b', 'a/', '/a', 'a..b.', 'a/../b']) assert.ok(!isValidOciRefName(bad), bad);
  });
});
