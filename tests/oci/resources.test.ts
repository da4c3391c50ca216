/** linux.resources beyond the basic limits, on this host's v1 hierarchies: memory extras, cpuset, realtime. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot } from '../support/oci-bundle.js';

const root = new OciRoot();
const parent = `rkt-oci-res-${process.pid}`;
after(async () => {
  await root.cleanup();
  for (const controller of ['memory', 'cpu', 'cpuset', 'pids', 'devices']) fs.rmSync(`/sys/fs/cgroup/${controller}/${parent}`, { recursive: false, force: true });
});

const v1 = fs.existsSync('/sys/fs/cgroup/memory/memory.soft_limit_in_bytes') && fs.existsSync('/sys/fs/cgroup/cpuset/cpuset.cpus');

test('memory reservation, swappiness, disableOOMKiller, kernelTCP; cpus and mems; realtime period and runtime', { skip: !v1 && 'needs the v1 memory and cpuset hierarchies' }, async () => {
  const config = defaultConfig();
  config.linux.cgroupsPath = `/${parent}/all`;
  const realtime = fs.existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us');
  config.linux.resources = {
    ...config.linux.resources,
    memory: { limit: 64 << 20, reservation: 32 << 20, swappiness: 20, disableOOMKiller: true, kernelTCP: 16 << 20 },
    cpu: { cpus: '0', mems: '0', ...(realtime ? { realtimePeriod: 1_000_000, realtimeRuntime: 10_000 } : {}) },
  };
  const inside = (file: string) => `/sys/fs/cgroup/${file}`;
  const files = ['memory/memory.soft_limit_in_bytes', 'memory/memory.swappiness', 'memory/memory.oom_control', 'memory/memory.kmem.tcp.limit_in_bytes', 'cpuset/cpuset.cpus', 'cpuset/cpuset.mems', ...(realtime ? ['cpu/cpu.rt_runtime_us'] : [])];
  config.process.args = ['/bin/probe', ...files.flatMap((file) => ['--stat', inside(file)]), '--stat', '/proc/self/status'];
  const report = await root.probe('resources', config);
  const seen = (file: string) => report.files[inside(file)]?.content;
  assert.equal(seen('memory/memory.soft_limit_in_bytes'), `${32 << 20}\n`);
  assert.equal(seen('memory/memory.swappiness'), '20\n');
  assert.match(seen('memory/memory.oom_control') ?? '', /^oom_kill_disable 1$/m);
  assert.equal(seen('memory/memory.kmem.tcp.limit_in_bytes'), `${16 << 20}\n`);
  assert.equal(seen('cpuset/cpuset.cpus'), '0\n');
  assert.equal(seen('cpuset/cpuset.mems'), '0\n');
  assert.match(report.files['/proc/self/status']?.content ?? '', /^Cpus_allowed_list:\s+0$/m, 'the process runs on cpu 0 only');
  if (realtime) assert.equal(seen('cpu/cpu.rt_runtime_us'), '10000\n');
  assert.match(report.cgroup, new RegExp(`cpuset:/${parent}/all`));
  for (const controller of ['memory', 'cpuset', 'cpu']) assert.ok(!fs.existsSync(`/sys/fs/cgroup/${controller}/${parent}/all`), `delete removed the ${controller} group`);
});

test('a cpuset list that is not one is refused by field name', async () => {
  const config = defaultConfig();
  config.linux.resources = { ...config.linux.resources, cpu: { cpus: 'all of them' } };
  const result = await root.create('bad-cpus', makeBundle(config));
  assert.equal(result.status, 1);
  assert.match(result.stderr, /linux\.resources\.cpu\.cpus/);
});
