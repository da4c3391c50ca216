import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ALLOWED_DEVICES, detectCgroupLayout, sharesToWeight, v2ControllersFor, writeV1Limits, writeV2Limits } from './cgroups.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-cgroup-unit-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A directory standing in for a group: plain files record what was written (the last write wins). */
function fakeGroup(name: string, files: string[] = []): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of files) fs.writeFileSync(path.join(dir, file), '');
  return dir;
}

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');

describe('detectCgroupLayout', () => {
  const mount = (mountPoint: string, fstype: string, superOptions: string[]) => ({ mountPoint, fstype, superOptions });

  it('picks v1 on a hybrid host and nests under the caller\'s groups', () => {
    const layout = detectCgroupLayout(
      ['memory', 'cpu', 'pids', 'devices'].map((c) => mount(`/sys/fs/cgroup/${c}`, 'cgroup', ['rw', c])).concat(mount('/sys/fs/cgroup/unified', 'cgroup2', ['rw'])),
      '4:memory:/svc\n8:pids:/\n1:cpu:/\n5:devices:/\n0::/\n',
    );
    assert.equal(layout.version, 1);
    assert.deepEqual(layout.version === 1 && layout.controllers.memory, { mount: '/sys/fs/cgroup/memory', callerPath: '/svc' });
    assert.equal(layout.version === 1 && layout.cpuset, undefined, 'no cpuset hierarchy mounted');
    const withCpuset = detectCgroupLayout(
      ['memory', 'cpu', 'pids', 'devices', 'cpuset'].map((c) => mount(`/sys/fs/cgroup/${c}`, 'cgroup', ['rw', c])),
      '4:memory:/\n8:pids:/\n1:cpu:/\n5:devices:/\n3:cpuset:/svc\n',
    );
    assert.deepEqual(withCpuset.version === 1 && withCpuset.cpuset, { mount: '/sys/fs/cgroup/cpuset', callerPath: '/svc' });
  });

  it('picks v2 when only cgroup2 is mounted at /sys/fs/cgroup, and refuses when there is nothing', () => {
    assert.deepEqual(detectCgroupLayout([mount('/sys/fs/cgroup', 'cgroup2', ['rw'])], '0::/user.slice\n'), { version: 2, mount: '/sys/fs/cgroup' });
    assert.throws(() => detectCgroupLayout([], ''), (error: Error & { code?: string }) => error.code === 'ERR_CGROUP');
  });
});

describe('cgroup limit writers', () => {
  it('v1: memory (with swap equal to it), CFS quota, shares, pids, and the device allow-list after deny-all', () => {
    const dirs = {
      memory: fakeGroup('v1/memory', ['memory.memsw.limit_in_bytes']),
      cpu: fakeGroup('v1/cpu'),
      pids: fakeGroup('v1/pids'),
      devices: fakeGroup('v1/devices'),
    };
    writeV1Limits(dirs, { memoryBytes: 64 << 20, cpuMillis: 250, cpuShares: 512, pidsMax: 100, restrictDevices: true });
    assert.equal(read(dirs.memory, 'memory.limit_in_bytes'), String(64 << 20));
    assert.equal(read(dirs.memory, 'memory.memsw.limit_in_bytes'), String(128 << 20));
    assert.equal(read(dirs.cpu, 'cpu.cfs_quota_us'), '25000');
    assert.equal(read(dirs.cpu, 'cpu.cfs_period_us'), '100000');
    assert.equal(read(dirs.cpu, 'cpu.shares'), '512');
    assert.equal(read(dirs.pids, 'pids.max'), '100');
    assert.equal(read(dirs.devices, 'devices.deny'), 'a');
    assert.equal(read(dirs.devices, 'devices.allow'), ALLOWED_DEVICES.at(-1));
  });

  it('v2: memory.max and swap, cpu.max, cpu.weight from shares, pids.max', () => {
    const dir = fakeGroup('v2/app', ['memory.swap.max']);
    writeV2Limits(dir, { memoryBytes: 1 << 20, cpuMillis: 1500, cpuShares: 1024, pidsMax: 7, restrictDevices: false });
    assert.equal(read(dir, 'memory.max'), String(1 << 20));
    assert.equal(read(dir, 'memory.swap.max'), String(1 << 20));
    assert.equal(read(dir, 'cpu.max'), '150000 100000');
    assert.equal(read(dir, 'cpu.weight'), String(sharesToWeight(1024)));
    assert.equal(read(dir, 'pids.max'), '7');
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(262144), 10000);
  });

  it('v1: soft limit, swappiness, OOM killer off, kernel and TCP memory, realtime period before runtime', () => {
    const dirs = { memory: fakeGroup('v1x/memory'), cpu: fakeGroup('v1x/cpu'), pids: fakeGroup('v1x/pids'), devices: fakeGroup('v1x/devices') };
    writeV1Limits(dirs, {
      restrictDevices: false, memoryReservationBytes: 1 << 20, memorySwappiness: 10, memoryDisableOomKiller: true, memoryKernelBytes: 2 << 20,
      memoryKernelTcpBytes: 3 << 20, cpuRealtimePeriodUs: 1_000_000, cpuRealtimeRuntimeUs: 950_000,
    });
    assert.equal(read(dirs.memory, 'memory.soft_limit_in_bytes'), String(1 << 20));
    assert.equal(read(dirs.memory, 'memory.swappiness'), '10');
    assert.equal(read(dirs.memory, 'memory.oom_control'), '1');
    assert.equal(read(dirs.memory, 'memory.kmem.limit_in_bytes'), String(2 << 20));
    assert.equal(read(dirs.memory, 'memory.kmem.tcp.limit_in_bytes'), String(3 << 20));
    assert.equal(read(dirs.cpu, 'cpu.rt_period_us'), '1000000');
    assert.equal(read(dirs.cpu, 'cpu.rt_runtime_us'), '950000');
  });

  it('v2: memory.low, cpuset.cpus and mems, and the controllers they need', () => {
    const dir = fakeGroup('v2x/app');
    const resources = { restrictDevices: false, memoryReservationBytes: 4096, cpusetCpus: '0-1', cpusetMems: '0' };
    writeV2Limits(dir, resources);
    assert.equal(read(dir, 'memory.low'), '4096');
    assert.equal(read(dir, 'cpuset.cpus'), '0-1');
    assert.equal(read(dir, 'cpuset.mems'), '0');
    assert.deepEqual(v2ControllersFor(resources), ['memory', 'cpuset']);
  });

  it('names the file when the kernel refuses a write', () => {
    const dir = fakeGroup('v2/missing');
    fs.rmSync(dir, { recursive: true });
    assert.throws(() => writeV2Limits(dir, { pidsMax: 1, restrictDevices: false }), /pids\.max/);
  });
});

/**
 * The v2 path on a real cgroup2 mount: `unshare --mount` gives a private mount namespace where a
 * fresh cgroup2 mount is made, and a Node child runs createPodCgroups against it. cgroup2 is one
 * hierarchy per kernel, so this is the host's unified tree: the test only creates (and removes) a
 * group of its own. On this hybrid machine the v1 hierarchies hold memory, cpu and pids, so v2
 * can offer none of them; that refusal is asserted instead of the limit files.
 */
describe('createPodCgroups on a real cgroup2 mount (private mount namespace)', () => {
  const module = new URL('./cgroups.js', import.meta.url).href;
  const child = `
    import fs from 'node:fs';
    import { spawn } from 'node:child_process';
    import { createPodCgroups, removeCgroups } from ${JSON.stringify(module)};
    const mount = process.argv[1];
    const parent = 'rkt-unit-' + process.pid;
    const out = {};
    const pod = createPodCgroups({ layout: { version: 2, mount }, uuid: 'pod', apps: [{ name: 'web', resources: { restrictDevices: false } }], v2Parent: parent });
    const dir = pod.apps.get('web').dirs[0];
    out.dir = dir.slice(mount.length);
    const sleeper = spawn('sleep', ['5']);
    fs.writeFileSync(dir + '/cgroup.procs', String(sleeper.pid));
    out.joined = fs.readFileSync('/proc/' + sleeper.pid + '/cgroup', 'utf8').trim();
    sleeper.kill('SIGKILL');
    await new Promise((resolve) => sleeper.on('exit', resolve));
    removeCgroups(pod.created);
    out.removed = !fs.existsSync(mount + '/' + parent + '/pod');
    const available = fs.readFileSync(mount + '/cgroup.controllers', 'utf8').trim().split(/\\s+/);
    out.pidsAvailable = available.includes('pids');
    try {
      const limited = createPodCgroups({ layout: { version: 2, mount }, uuid: 'pod2', apps: [{ name: 'web', resources: { pidsMax: 42, restrictDevices: false } }], v2Parent: parent });
      out.pidsMax = fs.readFileSync(limited.apps.get('web').dirs[0] + '/pids.max', 'utf8').trim();
      removeCgroups(limited.created);
    } catch (error) {
      out.refusal = error.code + ': ' + error.message;
    }
    fs.rmdirSync(mount + '/' + parent);
    console.log(JSON.stringify(out));
  `;

  it('creates the pod and app groups, a process can join, removal leaves nothing', (t) => {
    const target = fs.mkdtempSync(path.join(scratch, 'cg2-'));
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      'mount -t cgroup2 cgroup2 "$0" && exec node --input-type=module -e "$1" "$0"', target, child], { encoding: 'utf8' });
    if (result.status !== 0 && /mount|unshare/.test(result.stderr) && !/Error/.test(result.stderr)) {
      t.skip(`this kernel does not allow a cgroup2 mount in a test namespace: ${result.stderr.trim()}`);
      return;
    }
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.match(String(out.dir), /^\/rkt-unit-\d+\/pod\/web$/);
    assert.match(String(out.joined), /^0::\/rkt-unit-\d+\/pod\/web$/m);
    assert.equal(out.removed, true);
    if (out.pidsAvailable) assert.equal(out.pidsMax, '42');
    else assert.match(String(out.refusal), /^ERR_CGROUP: cgroup v2: controller\(s\) pids not available/);
  });
});
