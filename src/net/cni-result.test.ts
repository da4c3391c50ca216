import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstIPv4, parseCniResult } from './cni-result.js';

describe('parseCniResult', () => {
  it('reads a 0.4.0 result from ptp: addresses with version, host interfaces, DNS', () => {
    const result = parseCniResult({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'veth1234', mac: 'aa:bb' }, { name: 'eth0', mac: 'cc:dd', sandbox: '/var/run/netns/rkt-x' }],
      ips: [{ version: '4', interface: 1, address: '172.16.28.2/24', gateway: '172.16.28.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: { nameservers: ['10.0.0.53'], search: ['example.org'] },
    });
    assert.equal(result.cniVersion, '0.4.0');
    assert.deepEqual(result.addresses, [{ address: '172.16.28.2/24', family: 4, gateway: '172.16.28.1' }]);
    assert.deepEqual(result.hostInterfaces, ['veth1234']);
    assert.deepEqual(result.dns, { nameservers: ['10.0.0.53'], search: ['example.org'] });
    assert.equal(firstIPv4(result), '172.16.28.2');
  });

  it('reads a 1.0.0 result, whose addresses carry no version', () => {
    const result = parseCniResult({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/x' }],
      ips: [{ interface: 0, address: 'fd00::5/64' }, { interface: 0, address: '10.1.0.5/16', gateway: '10.1.0.1' }],
    });
    assert.deepEqual(result.addresses.map((entry) => entry.family), [6, 4]);
    assert.deepEqual(result.hostInterfaces, []);
    assert.deepEqual(result.dns, {});
    assert.equal(firstIPv4(result), '10.1.0.5');
  });

  it('reads the 0.2.0 shape (ip4, ip6)', () => {
    const result = parseCniResult({ cniVersion: '0.2.0', ip4: { ip: '172.31.0.9/16', gateway: '172.31.0.1' } });
    assert.deepEqual(result.addresses, [{ address: '172.31.0.9/16', family: 4, gateway: '172.31.0.1' }]);
  });

  it('names the field at fault in a malformed result', () => {
    assert.throws(() => parseCniResult({ cniVersion: '1.0.0', ips: [{ address: 5 }] }), /CNI 1\.0\.0 result: field ips\.0\.address/);
    assert.throws(() => parseCniResult({ cniVersion: 4 }), /cniVersion is not a string/);
  });
});
