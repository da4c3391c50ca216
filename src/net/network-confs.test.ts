import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadNetworkConfs, selectNetworks } from './network-confs.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-netconf-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

function configDir(files: Record<string, object | string>): string {
  const dir = fs.mkdtempSync(path.join(base, 'cfg-'));
  fs.mkdirSync(path.join(dir, 'net.d'));
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, 'net.d', name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

describe('loadNetworkConfs', () => {
  it('has the two built-in networks when there is no net.d', () => {
    const confs = loadNetworkConfs(path.join(base, 'missing'));
    // byte order of the file names, as rkt sorted them: '-' before '.'
    assert.deepEqual(confs.map((conf) => conf.name), ['default-restricted', 'default']);
    assert.equal(confs[1]!.conf.type, 'ptp');
    assert.equal(confs[1]!.conf.ipMasq, true);
    assert.equal((confs[1]!.conf.ipam as { subnet: string }).subnet, '172.16.28.0/24');
    assert.equal((confs[0]!.conf.ipam as { subnet: string }).subnet, '172.31.0.0/16');
  });

  it('orders by file name, built-ins included, and lets a user file replace a built-in by name', () => {
    const dir = configDir({
      '10-br.conf': { cniVersion: '1.0.0', name: 'br', type: 'bridge' },
      '50-mine.conf': { cniVersion: '0.4.0', name: 'default', type: 'bridge', ipMasq: false },
      'ignored.json': { name: 'nope', type: 'ptp' },
    });
    const confs = loadNetworkConfs(dir);
    assert.deepEqual(confs.map((conf) => [conf.name, path.basename(conf.file)]), [
      ['br', '10-br.conf'],
      ['default', '50-mine.conf'],
      ['default-restricted', '99-default-restricted.conf'],
    ]);
    // a user file named like a built-in's sorts as any other
    assert.equal(confs[1]!.conf.type, 'bridge');
  });

  it('refuses a malformed file and a name defined twice, naming the files', () => {
    assert.throws(() => loadNetworkConfs(configDir({ 'a.conf': '{"name": "x"}' })), /network configuration .*a\.conf field type/);
    assert.throws(
      () => loadNetworkConfs(configDir({ 'a.conf': { name: 'x', type: 'ptp' }, 'b.conf': { name: 'x', type: 'bridge' } })),
      /network "x" is configured twice .*a\.conf and .*b\.conf/,
    );
  });
});

describe('selectNetworks', () => {
  const confs = loadNetworkConfs(configDir({ '10-br.conf': { name: 'br', type: 'bridge' } }));

  it('keeps file order, not command-line order, and carries the arguments', () => {
    const selected = selectNetworks(confs, [{ name: 'default', args: '' }, { name: 'br', args: 'IP=10.0.0.2' }]);
    assert.deepEqual(selected.map((net) => [net.name, net.args]), [['br', 'IP=10.0.0.2'], ['default', '']]);
  });

  it('expands all, and names every unknown network', () => {
    assert.equal(selectNetworks(confs, [{ name: 'all', args: '' }]).length, 3);
    assert.throws(() => selectNetworks(confs, [{ name: 'nope', args: '' }, { name: 'gone', args: '' }]), /networks not found: nope, gone/);
  });
});
