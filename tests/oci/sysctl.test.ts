/**
 * linux.sysctl: written in the container's own namespaces (network, IPC, UTS), seen from inside,
 * the host's values untouched; what is not namespaced, or would land in rkt-oci's own namespace,
 * is refused by name (runc's rules).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot, type Config } from '../support/oci-bundle.js';

const root = new OciRoot();
after(() => root.cleanup());

const host = (file: string) => fs.readFileSync(`/proc/sys/${file}`, 'utf8');

test('net, IPC and UTS sysctls (dotted and slashed names, domainname) are the container\'s; the host\'s stay', async () => {
  const before = ['net/ipv4/ip_forward', 'net/ipv4/tcp_syncookies', 'kernel/shmmax', 'fs/mqueue/msg_max', 'kernel/domainname'].map((file) => [file, host(file)]);
  const forward = before[0]![1] === '1\n' ? '0' : '1';
  const config = defaultConfig();
  config.linux.sysctl = { 'net.ipv4.ip_forward': forward, 'net/ipv4/tcp_syncookies': '2', 'kernel.shmmax': '12345678', 'fs.mqueue.msg_max': '42' };
  config.domainname = 'oci.example';
  config.process.args = ['/bin/probe', ...['net/ipv4/ip_forward', 'net/ipv4/tcp_syncookies', 'kernel/shmmax', 'fs/mqueue/msg_max', 'kernel/domainname'].flatMap((file) => ['--stat', `/proc/sys/${file}`])];
  const report = await root.probe('sysctls', config);
  assert.equal(report.files['/proc/sys/net/ipv4/ip_forward']?.content, `${forward}\n`);
  assert.equal(report.files['/proc/sys/net/ipv4/tcp_syncookies']?.content, '2\n');
  assert.equal(report.files['/proc/sys/kernel/shmmax']?.content, '12345678\n');
  assert.equal(report.files['/proc/sys/fs/mqueue/msg_max']?.content, '42\n');
  assert.equal(report.files['/proc/sys/kernel/domainname']?.content, 'oci.example\n');
  for (const [file, value] of before) assert.equal(host(file!), value, `the host's ${file} is unchanged`);
});

test('sysctls outside the container\'s namespaces are refused, naming them', async () => {
  const refused = async (change: (config: Config) => void, message: RegExp) => {
    const config = defaultConfig();
    change(config);
    const result = await root.create('refused', makeBundle(config));
    assert.equal(result.status, 1);
    assert.match(result.stderr, message);
  };
  const without = (type: string) => (config: Config) => (config.linux.namespaces = config.linux.namespaces.filter((ns: { type: string }) => ns.type !== type));
  await refused((c) => (c.linux.sysctl = { 'kernel.pid_max': '4096' }), /linux\.sysctl\.kernel\.pid_max is not in a kernel namespace of the container/);
  await refused((c) => (c.linux.sysctl = { 'vm.swappiness': '1' }), /linux\.sysctl\.vm\.swappiness is not in a kernel namespace/);
  await refused((c) => {
    without('network')(c);
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  }, /linux\.sysctl\.net\.ipv4\.ip_forward needs the container's own net namespace: linux\.namespaces has none/);
  await refused((c) => {
    c.linux.namespaces = c.linux.namespaces.map((ns: { type: string }) => (ns.type === 'network' ? { type: 'network', path: '/proc/self/ns/net' } : ns));
    c.linux.sysctl = { 'net.core.somaxconn': '64' };
  }, /linux\.sysctl\.net\.core\.somaxconn needs the container's own net namespace: \/proc\/self\/ns\/net is rkt-oci's own/);
  await refused((c) => {
    without('ipc')(c);
    c.linux.sysctl = { 'kernel.shmmax': '1' };
  }, /linux\.sysctl\.kernel\.shmmax needs the container's own ipc namespace/);
  await refused((c) => (c.linux.sysctl = { 'kernel.hostname': 'x' }), /linux\.sysctl\.kernel\.hostname conflicts with the hostname field/);
  await refused((c) => (c.linux.sysctl = { 'net..ipv4': '1' }), /linux\.sysctl\.net\.\.ipv4 is not a sysctl name/);
  assert.equal(fs.readdirSync(root.dir).length, 0, 'nothing left of the refused containers');
});
