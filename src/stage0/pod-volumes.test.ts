import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeMounts, mountPointName, parseMountFlag, parseVolumeFlag, resolveAppMounts, type Volume } from './pod-volumes.js';

function assertCode(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parseVolumeFlag', () => {
  it('reads host volumes, recursive by default', () => {
    assert.deepEqual(parseVolumeFlag('data,kind=host,source=/srv/data'), { name: 'data', kind: 'host', source: '/srv/data', recursive: true });
    assert.deepEqual(parseVolumeFlag('data,kind=host,source=/srv//data/,readOnly=true,recursive=false'), {
      name: 'data', kind: 'host', source: '/srv/data/', recursive: false, readOnly: true,
    });
  });

  it('reads empty volumes with rkt\'s defaults (0755, 0:0)', () => {
    assert.deepEqual(parseVolumeFlag('tmp,kind=empty'), { name: 'tmp', kind: 'empty', mode: 0o755, uid: 0, gid: 0 });
    assert.deepEqual(parseVolumeFlag('tmp,kind=empty,mode=1777,uid=1000,gid=100'), { name: 'tmp', kind: 'empty', mode: 0o1777, uid: 1000, gid: 100 });
  });

  it('accepts name=NAME as rkt did', () => {
    assert.equal(parseVolumeFlag('name=v,kind=empty').name, 'v');
  });

  it('refuses what is not a volume', () => {
    assertCode(() => parseVolumeFlag('v,kind=nfs'), 'ERR_VOLUME_INVALID', /kind must be host or empty/);
    assertCode(() => parseVolumeFlag('v,kind=host'), 'ERR_VOLUME_INVALID', /source=ABSOLUTE-PATH/);
    assertCode(() => parseVolumeFlag('v,kind=host,source=rel'), 'ERR_VOLUME_INVALID', /source=ABSOLUTE-PATH/);
    assertCode(() => parseVolumeFlag('Bad_Name,kind=empty'), 'ERR_VOLUME_INVALID', /volume name "Bad_Name" is invalid/);
    assertCode(() => parseVolumeFlag('v,kind=empty,mode=999'), 'ERR_VOLUME_INVALID', /not an octal mode/);
    assertCode(() => parseVolumeFlag('v,kind=empty,uid=-1'), 'ERR_VOLUME_INVALID', /not an id/);
    assertCode(() => parseVolumeFlag('v,kind=empty,source=/x'), 'ERR_VOLUME_INVALID', /unknown key "source"/);
    assertCode(() => parseVolumeFlag('v,kind=host,source=/x,readOnly=yes'), 'ERR_VOLUME_INVALID', /readOnly must be true or false/);
    assertCode(() => parseVolumeFlag('v,kind=empty,kind=host'), 'ERR_VOLUME_INVALID', /kind is given twice/);
  });
});

describe('parseMountFlag', () => {
  it('reads volume and target, normalising the target', () => {
    assert.deepEqual(parseMountFlag('volume=data,target=/srv//data/'), { volume: 'data', target: '/srv/data' });
  });

  it('refuses relative targets, / itself, and missing or unknown keys', () => {
    assertCode(() => parseMountFlag('volume=data,target=srv'), 'ERR_VOLUME_INVALID', /not an absolute path/);
    assertCode(() => parseMountFlag('volume=data,target=/'), 'ERR_VOLUME_INVALID', /cannot be mounted on \//);
    assertCode(() => parseMountFlag('volume=data'), 'ERR_VOLUME_INVALID', /needs volume=NAME and target=PATH/);
    assertCode(() => parseMountFlag('volume=data,target=/x,ro=true'), 'ERR_VOLUME_INVALID', /unknown key "ro"/);
  });
});

describe('resolveAppMounts', () => {
  const host: Volume = { name: 'data', kind: 'host', source: '/srv', recursive: true, readOnly: true };

  it('maps explicit mounts to their volumes, read-only from the volume', () => {
    const mounts = resolveAppMounts({ appName: 'web', mounts: [{ volume: 'data', target: '/d' }], imageMountPoints: [], volumes: [host] });
    assert.deepEqual(mounts, [{ volume: host, target: '/d', readOnly: true }]);
  });

  it('gives an image mount point the pod volume of its implicit name, else an implicit empty volume with copy-up', () => {
    const volumes: Volume[] = [{ name: 'var-cache', kind: 'empty', mode: 0o700, uid: 0, gid: 0 }];
    const mounts = resolveAppMounts({ appName: 'web', mounts: [], imageMountPoints: ['/var/cache', '/var/lib/db/'], volumes });
    assert.deepEqual(mounts.map((m) => [m.target, m.volume.name]), [['/var/cache', 'var-cache'], ['/var/lib/db', 'web-var-lib-db']]);
    assert.deepEqual(volumes[1], { name: 'web-var-lib-db', kind: 'empty', mode: 0o755, uid: 0, gid: 0, copyUp: '/var/lib/db' });
  });

  it('lets an explicit mount cover an image mount point', () => {
    const volumes: Volume[] = [host];
    const mounts = resolveAppMounts({ appName: 'web', mounts: [{ volume: 'data', target: '/var/lib/db' }], imageMountPoints: ['/var/lib/db'], volumes });
    assert.equal(mounts.length, 1);
    assert.equal(volumes.length, 1, 'no implicit volume');
  });

  it('refuses unknown volumes and nested or repeated targets', () => {
    assertCode(() => resolveAppMounts({ appName: 'web', mounts: [{ volume: 'nope', target: '/x' }], imageMountPoints: [], volumes: [] }), 'ERR_VOLUME_UNKNOWN', /"nope"/);
    assertCode(
      () => resolveAppMounts({ appName: 'web', mounts: [{ volume: 'data', target: '/x' }, { volume: 'data', target: '/x/y' }], imageMountPoints: [], volumes: [host] }),
      'ERR_VOLUME_OVERLAP', /\/x and \/x\/y overlap/,
    );
    assertCode(
      () => resolveAppMounts({ appName: 'web', mounts: [{ volume: 'data', target: '/x' }, { volume: 'data', target: '/x' }], imageMountPoints: [], volumes: [host] }),
      'ERR_VOLUME_OVERLAP', /overlap/,
    );
  });

  it('sorts mounts parents first', () => {
    const mounts = resolveAppMounts({ appName: 'a', mounts: [{ volume: 'data', target: '/a/b/c' }, { volume: 'data', target: '/z' }], imageMountPoints: [], volumes: [host] });
    assert.deepEqual(mounts.map((m) => m.target), ['/z', '/a/b/c']);
  });
});

describe('mountPointName', () => {
  it('turns a path into an AC name', () => {
    assert.equal(mountPointName('/var/lib/Data_1'), 'var-lib-data-1');
  });
});

describe('mergeMounts: --mount before the first image', () => {
  it('gives every app the pod-wide mounts, except where the app mounts the same path itself', () => {
    const own = [{ volume: 'mine', target: '/data' }];
    const podWide = [{ volume: 'shared', target: '/data' }, { volume: 'logs', target: '/logs' }];
    assert.deepEqual(mergeMounts(own, podWide), [{ volume: 'mine', target: '/data' }, { volume: 'logs', target: '/logs' }]);
    assert.deepEqual(mergeMounts([], podWide), podWide);
  });
});
