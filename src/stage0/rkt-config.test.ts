import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeRktConfig, loadRktConfig, type ConfigDirs } from './rkt-config.js';

const base = mkdtempSync(join(tmpdir(), 'rkt-config-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** Fresh system, local and user directories under one root. */
function dirs(): Required<ConfigDirs> {
  const root = mkdtempSync(join(base, 'cfg-'));
  return { system: join(root, 'system'), local: join(root, 'local'), user: join(root, 'user') };
}

function write(dir: string, file: string, content: object | string): string {
  const full = join(dir, file);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content));
  return full;
}

const paths = (fields: object): object => ({ rktKind: 'paths', rktVersion: 'v1', ...fields });
const auth = (domains: string[], user: string): object => ({ rktKind: 'auth', rktVersion: 'v1', domains, type: 'basic', credentials: { user, password: 'pw' } });
const dockerAuth = (registries: string[], user: string): object => ({ rktKind: 'dockerAuth', rktVersion: 'v1', registries, credentials: { user, password: 'pw' } });
const stage1 = (fields: object): object => ({ rktKind: 'stage1', rktVersion: 'v1', ...fields });

function assertConfigError(d: ConfigDirs, code: string, pattern: RegExp): void {
  assert.throws(
    () => loadRktConfig(d),
    (error: Error & { code?: string; category?: string }) => {
      assert.equal(error.code, code, error.message);
      assert.equal(error.category, 'config');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('loadRktConfig: layering', () => {
  it('is empty when no directory exists', () => {
    const config = loadRktConfig(dirs());
    assert.equal(config.auth.size, 0);
    assert.equal(config.dockerAuth.size, 0);
    assert.deepEqual(config.paths, {});
    assert.deepEqual(config.stage1, {});
  });

  it('lets local override system and user override local, field by field', () => {
    const d = dirs();
    write(d.system, 'paths.d/paths.json', paths({ data: '/system/data', 'stage1-images': '/system/stage1' }));
    write(d.local, 'paths.d/paths.json', paths({ data: '/local/data' }));
    assert.deepEqual(loadRktConfig({ system: d.system, local: d.local }).paths, { data: '/local/data', stage1Images: '/system/stage1' });

    write(d.user, 'paths.d/mine.json', paths({ 'stage1-images': '/user/stage1' }));
    assert.deepEqual(loadRktConfig(d).paths, { data: '/local/data', stage1Images: '/user/stage1' });
  });

  it('overrides auth per domain and docker auth per registry, keeping the others', () => {
    const d = dirs();
    write(d.system, 'auth.d/a.json', auth(['one.example', 'two.example'], 'system'));
    write(d.system, 'auth.d/b.json', dockerAuth(['reg.example', 'other.example'], 'system'));
    write(d.local, 'auth.d/a.json', auth(['two.example'], 'local'));
    write(d.user, 'auth.d/z.json', dockerAuth(['reg.example'], 'user'));
    const config = loadRktConfig(d);
    assert.equal(config.auth.get('one.example')?.credentials.user, 'system');
    assert.equal(config.auth.get('two.example')?.credentials.user, 'local');
    assert.equal(config.dockerAuth.get('other.example')?.credentials.user, 'system');
    assert.equal(config.dockerAuth.get('reg.example')?.credentials.user, 'user');
  });

  it('layers stage1 fields', () => {
    const d = dirs();
    write(d.system, 'stage1.d/s.json', stage1({ name: 'coreos.com/rkt/stage1', version: '1.0', location: '/usr/lib/stage1.aci' }));
    write(d.local, 'stage1.d/s.json', stage1({ location: '/opt/stage1.aci' }));
    assert.deepEqual(loadRktConfig(d).stage1, { name: 'coreos.com/rkt/stage1', version: '1.0', location: '/opt/stage1.aci' });
  });

  it('reads only .json files', () => {
    const d = dirs();
    write(d.local, 'paths.d/paths.json', paths({ data: '/data' }));
    write(d.local, 'paths.d/paths.json~', '{not json');
    write(d.local, 'paths.d/README', 'hello');
    assert.equal(loadRktConfig(d).paths.data, '/data');
  });
});

describe('loadRktConfig: errors', () => {
  it('refuses the same path defined twice in one directory, naming the directory', () => {
    const d = dirs();
    write(d.local, 'paths.d/a.json', paths({ data: '/a' }));
    write(d.local, 'paths.d/b.json', paths({ data: '/b' }));
    assertConfigError(d, 'ERR_CONFIG_DUPLICATE', new RegExp(`the path "data" is configured twice in ${d.local}$`));
  });

  it('refuses the same domain or registry twice in one directory, even within one file', () => {
    const d1 = dirs();
    write(d1.system, 'auth.d/a.json', auth(['x.example'], 'a'));
    write(d1.system, 'auth.d/b.json', auth(['x.example'], 'b'));
    assertConfigError(d1, 'ERR_CONFIG_DUPLICATE', /domain x\.example is configured twice/);

    const d2 = dirs();
    write(d2.user, 'auth.d/a.json', dockerAuth(['r.example', 'r.example'], 'a'));
    assertConfigError(d2, 'ERR_CONFIG_DUPLICATE', /docker registry r\.example is configured twice/);
  });

  it('allows the same name as a domain and as a docker registry', () => {
    const d = dirs();
    write(d.local, 'auth.d/a.json', auth(['x.example'], 'a'));
    write(d.local, 'auth.d/b.json', dockerAuth(['x.example'], 'b'));
    const config = loadRktConfig(d);
    assert.ok(config.auth.has('x.example') && config.dockerAuth.has('x.example'));
  });

  it('refuses a stage1 field defined twice in one directory', () => {
    const d = dirs();
    write(d.local, 'stage1.d/a.json', stage1({ location: '/a' }));
    write(d.local, 'stage1.d/b.json', stage1({ location: '/b' }));
    assertConfigError(d, 'ERR_CONFIG_DUPLICATE', /the stage1 field "location" is configured twice/);
  });

  it('refuses a stage1 name without a version', () => {
    const d = dirs();
    const file = write(d.local, 'stage1.d/a.json', stage1({ name: 'x' }));
    assertConfigError(d, 'ERR_CONFIG_INVALID', new RegExp(`${file}: stage1 "name" and "version" must be given together`));
  });

  it('names the file at fault when it is not JSON, has the wrong kind, or breaks the schema', () => {
    const cases: [string, string | object, RegExp][] = [
      ['paths.d/broken.json', '{"rktKind": ', /is not valid JSON/],
      ['paths.d/kind.json', { rktKind: 'auth', rktVersion: 'v1' }, /field rktKind/],
      ['paths.d/version.json', { rktKind: 'paths', rktVersion: 'v2' }, /field rktVersion/],
      ['paths.d/dup.json', '{"rktKind":"paths","rktVersion":"v1","data":"/a","data":"/b"}', /"data" more than once/],
      ['auth.d/type.json', { rktKind: 'auth', rktVersion: 'v1', domains: ['x'], type: 'magic', credentials: {} }, /field type/],
      ['auth.d/nodomains.json', { rktKind: 'auth', rktVersion: 'v1', domains: [], type: 'basic', credentials: {} }, /field domains/],
    ];
    for (const [file, content, pattern] of cases) {
      const d = dirs();
      const full = write(d.system, file, content);
      assertConfigError(d, 'ERR_CONFIG_INVALID', new RegExp(`configuration file ${full} [^]*${pattern.source}`));
    }
  });

  it('refuses a file that is not UTF-8 as invalid, naming it', () => {
    const d = dirs();
    const full = join(d.local, 'paths.d', 'latin1.json');
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, Buffer.concat([Buffer.from('{"rktKind":"paths","rktVersion":"v1","data":"/caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
    assertConfigError(d, 'ERR_CONFIG_INVALID', new RegExp(`configuration file ${full} is not valid UTF-8`));
  });

  it('names a .json entry that cannot be read', () => {
    const d = dirs();
    mkdirSync(join(d.user, 'paths.d', 'dir.json'), { recursive: true });
    assertConfigError(d, 'ERR_CONFIG_UNREADABLE', new RegExp(`cannot read configuration file ${join(d.user, 'paths.d', 'dir.json')}`));
  });

  it('takes a kind directory that is a file as empty', () => {
    const d = dirs();
    write(d.local, 'paths.d', 'not a directory');
    assert.deepEqual(loadRktConfig(d).paths, {});
  });
});

describe('describeRktConfig', () => {
  it('prints rkt\'s {"stage0": [...]} with one entry per domain and registry, then paths and stage1', () => {
    const d = dirs();
    write(d.local, 'auth.d/a.json', auth(['a.example', 'b.example'], 'u'));
    write(d.local, 'auth.d/d.json', dockerAuth(['r.example'], 'd'));
    write(d.local, 'paths.d/p.json', paths({ data: '/data', 'stage1-images': '/s1' }));
    write(d.local, 'stage1.d/s.json', stage1({ name: 'n', version: 'v' }));
    assert.deepEqual(describeRktConfig(loadRktConfig(d)), {
      stage0: [
        { rktVersion: 'v1', rktKind: 'auth', domains: ['a.example'], type: 'basic', credentials: { user: 'u', password: 'pw' } },
        { rktVersion: 'v1', rktKind: 'auth', domains: ['b.example'], type: 'basic', credentials: { user: 'u', password: 'pw' } },
        { rktVersion: 'v1', rktKind: 'dockerAuth', registries: ['r.example'], credentials: { user: 'd', password: 'pw' } },
        { rktVersion: 'v1', rktKind: 'paths', data: '/data', 'stage1-images': '/s1' },
        { rktVersion: 'v1', rktKind: 'stage1', name: 'n', version: 'v' },
      ],
    });
  });

  it('always has a paths entry, and no stage1 entry when nothing is configured', () => {
    assert.deepEqual(describeRktConfig(loadRktConfig(dirs())), { stage0: [{ rktVersion: 'v1', rktKind: 'paths' }] });
  });
});
