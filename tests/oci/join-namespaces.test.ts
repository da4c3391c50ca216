/**
 * linux.namespaces[].path: a container joins another container's network, IPC and UTS namespaces
 * (as a CRI pod's containers join its sandbox's), and namespaces held by `unshare` (mount, PID,
 * cgroup); what it sees from inside is the other's. A path that is not a namespace of its type
 * is refused, naming the path, and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { mountsUnder, processExists } from '../support/host-state.js';
import { defaultConfig, makeBundle, OciRoot, type Config } from '../support/oci-bundle.js';

const root = new OciRoot();
const holders: ChildProcess[] = [];
after(async () => {
  for (const holder of holders) holder.kill('SIGKILL');
  await root.cleanup();
});

const nsOf = (pid: number, name: string) => fs.readlinkSync(`/proc/${pid}/ns/${name}`);

/** `unshare FLAGS --fork sleep`: namespaces that live as long as the sleep; its PID. */
async function holdNamespaces(...flags: string[]): Promise<number> {
  const holder = spawn('unshare', [...flags, '--fork', 'sleep', '120'], { stdio: 'ignore' });
  holders.push(holder);
  const deadline = Date.now() + 5000;
  for (;;) {
    const children = fs.existsSync(`/proc/${holder.pid}/task/${holder.pid}/children`) ? fs.readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim() : '';
    if (children !== '') return Number(children.split(' ')[0]);
    if (Date.now() > deadline) throw new Error('unshare did not start its sleep');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function joining(namespaces: Record<string, string>, change: (config: Config) => void = () => {}): Config {
  const config = defaultConfig();
  config.linux.namespaces = config.linux.namespaces.map((ns: { type: string }) => (namespaces[ns.type] ? { type: ns.type, path: namespaces[ns.type] } : ns));
  for (const [type, nsPath] of Object.entries(namespaces)) {
    if (!config.linux.namespaces.some((ns: { type: string }) => ns.type === type)) config.linux.namespaces.push({ type, path: nsPath });
  }
  change(config);
  return config;
}

test('a container joins another\'s network, IPC and UTS namespaces by path: same interfaces, hostname, IPC namespace', async () => {
  const first = defaultConfig();
  first.hostname = 'sandbox';
  const sandbox = await root.startSleeper('sandbox', first);
  // an interface only that namespace has, made from the host
  execFileSync('nsenter', [`--net=/proc/${sandbox}/ns/net`, 'ip', 'link', 'add', 'rktjoin0', 'type', 'bridge']);
  const config = joining({ network: `/proc/${sandbox}/ns/net`, ipc: `/proc/${sandbox}/ns/ipc`, uts: `/proc/${sandbox}/ns/uts` }, (c) => {
    c.hostname = 'sandbox';
    c.process.args = ['/bin/probe', '--stat', '/proc/net/dev'];
  });
  const report = await root.probe('app', config);
  assert.equal(report.ns.net, nsOf(sandbox, 'net'));
  assert.equal(report.ns.ipc, nsOf(sandbox, 'ipc'));
  assert.equal(report.ns.uts, nsOf(sandbox, 'uts'));
  assert.notEqual(report.ns.mnt, nsOf(sandbox, 'mnt'), 'its own mount namespace');
  assert.notEqual(report.ns.pid, nsOf(sandbox, 'pid'), 'its own PID namespace');
  assert.equal(report.hostname, 'sandbox');
  assert.match(report.files['/proc/net/dev']?.content ?? '', /rktjoin0:/, 'the sandbox\'s interface');
  assert.ok(!fs.readFileSync('/proc/net/dev', 'utf8').includes('rktjoin0'), 'not the host\'s network');
  assert.equal((await root.run('delete', '--force', 'sandbox')).status, 0);
  assert.ok(!processExists(sandbox));
});

test('mount, PID and cgroup namespaces held by unshare are joined: the probe is in them', async () => {
  const held = await holdNamespaces('--mount', '--pid', '--cgroup', '--propagation', 'private');
  const hostMounts = mountsUnder(os.tmpdir());
  const report = await root.probe('held', joining({ mount: `/proc/${held}/ns/mnt`, pid: `/proc/${held}/ns/pid`, cgroup: `/proc/${held}/ns/cgroup` }));
  assert.equal(report.ns.mnt, nsOf(held, 'mnt'));
  assert.equal(report.ns.pid, nsOf(held, 'pid'));
  assert.equal(report.ns.cgroup, nsOf(held, 'cgroup'));
  assert.notEqual(report.pid, 2, 'the PID namespace had its own init (the sleep): the supervisor is not PID 1 there');
  assert.deepEqual(mountsUnder(os.tmpdir()), hostMounts, 'the container\'s mounts were made in the joined namespace, not the host\'s');
});

test('a path that is not a namespace of its type is refused, naming it; nothing is left', async () => {
  const bundleOf = (type: string, nsPath: string) => makeBundle(joining({ [type]: nsPath }));
  // a FIFO is never opened (it would block): looked at as O_PATH first
  const fifo = path.join(root.dir, 'not-a-namespace');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, string, RegExp][] = [
    ['network', '/proc/self/ns/ipc', /join \/proc\/self\/ns\/ipc: not a namespace of type net/],
    ['uts', '/etc/hostname', /join \/etc\/hostname: not a namespace of type uts/],
    ['ipc', fifo, new RegExp(`join ${fifo}: not a namespace of type ipc`)],
    ['ipc', '/nonexistent/ns/ipc', /join \/nonexistent\/ns\/ipc: No such file or directory/],
    ['user', '/proc/self/ns/mnt', /join \/proc\/self\/ns\/mnt: not a namespace of type user/],
  ];
  for (const [type, nsPath, message] of cases) {
    const result = await root.create('wrong', bundleOf(type, nsPath));
    assert.equal(result.status, 1, `${type} ${nsPath}`);
    assert.match(result.stderr, message);
    assert.ok(!fs.existsSync(path.join(root.dir, 'wrong')), 'no state left');
    assert.equal(execFileSync('find', ['/sys/fs/cgroup', '-ignore_readdir_race', '-maxdepth', '8', '-type', 'd', '-name', 'wrong'], { encoding: 'utf8' }), '', 'no cgroup left');
  }
  fs.rmSync(fifo);
});
