/** What config.json asks for is what the probe sees inside the container. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot, type Config } from '../support/oci-bundle.js';
import { mountAt } from '../support/probe-report.js';

const root = new OciRoot();
after(() => root.cleanup());

const mask = (...bits: number[]) => bits.reduce((m, bit) => m | (1n << BigInt(bit)), 0n).toString(16).padStart(16, '0');
const probe = (id: string, config: Config) => root.probe(id, config);

test('user, groups, env, cwd, hostname, all five capability sets, rlimits, oom_score_adj, namespaces', async () => {
  const config = defaultConfig();
  config.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 44] };
  config.process.env = ['PATH=/bin', 'GREETING=hello from config.json'];
  config.process.cwd = '/work/here';
  config.hostname = 'oci-probe';
  config.process.capabilities = {
    bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_CHOWN'],
    effective: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
    permitted: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
    inheritable: ['CAP_NET_BIND_SERVICE'],
    ambient: ['CAP_NET_BIND_SERVICE'],
  };
  config.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 }];
  config.process.oomScoreAdj = 123;
  config.process.args = ['/bin/probe', '--stat', '/proc/self/limits', '--stat', '/proc/self/oom_score_adj'];
  const report = await probe('who', config);
  assert.equal(report.uid, 1000);
  assert.equal(report.gid, 1000);
  assert.deepEqual(report.groups, [5, 44]);
  assert.equal(report.env.GREETING, 'hello from config.json');
  assert.equal(report.cwd, '/work/here', 'a missing cwd is created, as runc does');
  assert.equal(report.hostname, 'oci-probe');
  // after execve as uid 1000 the ambient set is what remains: CAP_NET_BIND_SERVICE (10)
  assert.equal(report.caps.CapBnd, mask(0, 5, 10));
  assert.equal(report.caps.CapInh, mask(10));
  assert.equal(report.caps.CapAmb, mask(10));
  assert.equal(report.caps.CapPrm, mask(10));
  assert.equal(report.caps.CapEff, mask(10));
  assert.equal(report.noNewPrivs, 1);
  assert.match(report.files['/proc/self/limits']?.content ?? '', /Max open files\s+512\s+1000/);
  assert.equal(report.files['/proc/self/oom_score_adj']?.content, '123\n');
  const host = (name: string) => fs.readlinkSync(`/proc/self/ns/${name}`);
  for (const ns of ['mnt', 'pid', 'uts', 'ipc', 'net']) assert.notEqual(report.ns[ns], host(ns), `a new ${ns} namespace`);
});

test('root as uid 0 with runc spec\'s capabilities: bounding = effective = permitted after exec', async () => {
  const report = await probe('rootcaps', defaultConfig());
  const runcDefault = mask(29, 5, 10); // AUDIT_WRITE, KILL, NET_BIND_SERVICE
  assert.equal(report.caps.CapBnd, runcDefault);
  assert.equal(report.caps.CapEff, runcDefault);
  assert.equal(report.caps.CapPrm, runcDefault);
});

test('seccomp in the runtime-spec format: errnoRet, argument conditions, default action', async () => {
  const config = defaultConfig();
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 95 },
      // unshare(CLONE_NEWUSER) only: the probe's "unshare" try asks for a user namespace
      { names: ['unshare'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['not_a_syscall_here'], action: 'SCMP_ACT_KILL' },
    ],
  };
  config.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] });
  config.process.args = ['/bin/probe', '--try', 'mkdir', '--try', 'unshare'];
  const report = await probe('filtered', config);
  assert.equal(report.seccomp, 2);
  assert.equal(report.actions.mkdir, 'EOPNOTSUPP');
  assert.equal(report.actions.unshare ?? report.tries.unshare, 'EINVAL');
});

test('cgroups: memory and pids limits and cpu quota in the cgroupsPath group, shown read-only inside', async () => {
  const config = defaultConfig();
  config.linux.cgroupsPath = `/rkt-oci-test/limits-${process.pid}`;
  config.linux.resources = { ...config.linux.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 }, cpu: { quota: 25000, period: 100000, shares: 512 } };
  config.process.args = ['/bin/probe', '--stat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '--stat', '/sys/fs/cgroup/pids/pids.max', '--stat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '--stat', '/sys/fs/cgroup/cpu/cpu.shares'];
  const report = await probe('limits', config);
  assert.equal(report.files['/sys/fs/cgroup/memory/memory.limit_in_bytes']?.content, `${64 * 1024 * 1024}\n`);
  assert.equal(report.files['/sys/fs/cgroup/pids/pids.max']?.content, '50\n');
  assert.equal(report.files['/sys/fs/cgroup/cpu/cpu.cfs_quota_us']?.content, '25000\n');
  assert.equal(report.files['/sys/fs/cgroup/cpu/cpu.shares']?.content, '512\n');
  assert.match(report.cgroup, new RegExp(`/rkt-oci-test/limits-${process.pid}`));
  assert.ok(!fs.existsSync(`/sys/fs/cgroup/memory/rkt-oci-test/limits-${process.pid}`), 'delete removed the group');
  fs.rmSync('/sys/fs/cgroup/memory/rkt-oci-test', { recursive: false, force: true });
});

test('mounts with options, masked and read-only paths, a read-only root', async () => {
  const config = defaultConfig();
  config.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=2m', 'mode=700'] });
  config.linux.maskedPaths.push('/etc/passwd');
  config.process.args = ['/bin/probe', '--stat', '/etc/passwd', '--try-write', '/proc/sys/kernel/hostname', '--try-write', '/newfile', '--try-write', '/scratch/ok'];
  const report = await probe('mounts', config);
  const scratch = mountAt(report, '/scratch');
  assert.equal(scratch.fstype, 'tmpfs');
  assert.match(scratch.options, /nosuid/);
  assert.match(scratch.options, /noexec/);
  assert.match(scratch.superOptions, /size=2048k/);
  assert.match(scratch.superOptions, /mode=700/);
  assert.equal(report.files['/etc/passwd']?.type, 'char', 'masked: /dev/null over it');
  assert.equal(report.tries['/proc/sys/kernel/hostname'], 'EROFS');
  assert.equal(report.tries['/newfile'], 'EROFS', 'root.readonly');
  assert.equal(report.tries['/scratch/ok'], 'ok');
});

test('an unsupported namespace join, terminal and sysctl are refused by field name', async () => {
  for (const [change, field] of [
    [(c: Config) => c.linux.namespaces.push({ type: 'user' }), /linux\.namespaces\.\d+ \(type "user"\)/],
    [(c: Config) => (c.linux.namespaces[0].path = '/proc/1/ns/pid'), /linux\.namespaces\.0\.path/],
    [(c: Config) => (c.process.terminal = true), /process\.terminal/],
    [(c: Config) => (c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }), /linux\.sysctl/],
    [(c: Config) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_WHATEVER' }), /linux\.seccomp\.defaultAction/],
  ] as const) {
    const config = defaultConfig();
    change(config);
    const result = await root.create('refused', makeBundle(config));
    assert.equal(result.status, 1);
    assert.match(result.stderr, field);
  }
});
