/**
 * One bundle per runtime-spec version, 1.0.0 to 1.3.0, each with a config.json written in that
 * version's shape (not `runc spec`'s) and the fields the version added (its ChangeLog), run through
 * create, state, start, state, delete and looked at from inside with the probe. Fields of a version
 * that rkt-oci does not apply are refused by name (the spec: "Runtimes MUST generate an error when
 * invalid or unsupported values are encountered"); unknown properties are ignored (its
 * extensibility rule). `features` is checked against what the bundles may use.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot, type Config } from '../support/oci-bundle.js';
import { mountAt, parseProbeReport, type ProbeReport } from '../support/probe-report.js';

const root = new OciRoot();
const hooks = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-hooks-'));
after(async () => {
  await root.cleanup();
  fs.rmSync(hooks, { recursive: true, force: true });
});

const rootfs = (defaultConfig().root as { path: string }).path;
const CAPS = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID'];

/** A hook that saves the state it is given on stdin to HOOKS/<name>.json. */
function saveState(name: string): Config {
  return { path: '/bin/sh', args: ['sh', '-c', `cat > ${hooks}/${name}.json`] };
}

function savedState(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(hooks, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** The fields every version has, as runtime-spec 1.0.0 defines them. */
function baseConfig(version: string, args: string[]): Config {
  return {
    ociVersion: version,
    root: { path: rootfs, readonly: true },
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/bin/probe', ...args],
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', `SPEC=${version}`],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, inheritable: [], permitted: CAPS, ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    hostname: `spec-${version.replace(/\./g, '-')}`,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 64 } },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** pids.max of the container's group as the probe saw it (cgroup v1 or v2). */
function pidsMax(report: ProbeReport): string | null | undefined {
  return (report.files['/sys/fs/cgroup/pids/pids.max'] ?? report.files['/sys/fs/cgroup/pids.max'])?.content;
}
const PIDS_MAX = ['--stat', '/sys/fs/cgroup/pids/pids.max', '--stat', '/sys/fs/cgroup/pids.max'];

/** The config changed by `change` is refused by create, with `message` naming the field. */
async function refused(version: string, change: (config: Config) => void, message: RegExp): Promise<void> {
  const config = baseConfig(version, []);
  change(config);
  const result = await root.create('refused', makeBundle(config));
  assert.equal(result.status, 1, `${version}: expected a refusal matching ${message}`);
  assert.match(result.stderr, message);
  assert.ok(!fs.existsSync(path.join(root.dir, 'refused')), 'a refused create leaves nothing');
}

function checkStates(run: { created: Record<string, unknown>; stopped: Record<string, unknown>; bundle: string }, id: string): void {
  assert.equal(run.created.status, 'created');
  assert.equal(run.created.id, id);
  assert.equal(run.created.bundle, run.bundle);
  assert.ok((run.created.pid as number) > 0);
  assert.equal(run.stopped.status, 'stopped');
}

test('1.0.0: the first release\'s shape; prestart, poststart and poststop hooks; seccomp with the default errno', async () => {
  const config = baseConfig('1.0.0', ['--try', 'mkdir', '--stat', '/proc/self/oom_score_adj', ...PIDS_MAX]);
  config.process.user = { uid: 1000, gid: 1000, additionalGids: [100] };
  config.process.cwd = '/tmp';
  // without a terminal consoleSize MUST be ignored
  config.process.consoleSize = { height: 24, width: 80 };
  config.process.oomScoreAdj = 100;
  config.hooks = { prestart: [saveState('1.0.0-prestart')], poststart: [saveState('1.0.0-poststart')], poststop: [saveState('1.0.0-poststop')] };
  config.linux.rootfsPropagation = 'rprivate';
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
  };
  const run = await root.probeRun('v100', config);
  checkStates(run, 'v100');
  const { report } = run;
  assert.deepEqual([report.uid, report.gid, report.groups], [1000, 1000, [100]]);
  assert.equal(report.cwd, '/tmp');
  assert.equal(report.hostname, 'spec-1-0-0');
  assert.equal(report.env.SPEC, '1.0.0');
  assert.equal(report.actions.mkdir, 'EPERM', 'SCMP_ACT_ERRNO without errnoRet (1.0.0 has none) is EPERM');
  assert.equal(report.files['/proc/self/oom_score_adj']?.content, '100\n');
  assert.equal(pidsMax(report), '64\n');
  assert.equal(report.tty.stdin, false);
  assert.equal(savedState('1.0.0-prestart').status, 'creating');
  assert.equal(savedState('1.0.0-prestart').pid, run.created.pid);
  assert.equal(savedState('1.0.0-poststart').status, 'running');
  assert.equal(savedState('1.0.0-poststop').status, 'stopped');
});

test('1.0.1: no new fields; unknown properties anywhere are ignored; annotations reach state', async () => {
  const config = baseConfig('1.0.1', []);
  config['org.example.extension'] = { anything: true };
  config.process['org.example.field'] = 'ignored';
  config.linux['org.example.future'] = [1, 2, 3];
  config.mounts[0]['org.example.option'] = true;
  config.annotations = { 'org.example.version': '1.0.1' };
  const run = await root.probeRun('v101', config);
  checkStates(run, 'v101');
  assert.deepEqual(run.created.annotations, { 'org.example.version': '1.0.1' });
  assert.equal(run.report.hostname, 'spec-1-0-1');
});

test('1.0.2: createRuntime and createContainer hooks, process.user.umask, seccomp flags and SCMP_ACT_LOG, memory.useHierarchy; personality and intelRdt refused', async () => {
  const config = baseConfig('1.0.2', []);
  config.process.user.umask = 0o027;
  config.hooks = { createRuntime: [saveState('1.0.2-createRuntime')], createContainer: [saveState('1.0.2-createContainer')] };
  config.linux.resources.memory = { useHierarchy: true };
  config.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_LOG' }] };
  const run = await root.probeRun('v102', config);
  checkStates(run, 'v102');
  assert.equal(run.report.umask, '0027');
  assert.equal(run.report.seccomp, 2);
  // both run during create, before the container's root is pivoted to (tests/oci/hooks.test.ts has the order)
  assert.equal(savedState('1.0.2-createRuntime').status, 'creating');
  assert.equal(savedState('1.0.2-createContainer').status, 'creating');
  await refused('1.0.2', (c) => (c.linux.personality = { domain: 'LINUX32' }), /config\.json field linux\.personality/);
  await refused('1.0.2', (c) => (c.linux.intelRdt = { closID: 'guaranteed_group' }), /config\.json field linux\.intelRdt/);
  await refused('1.0.2', (c) => (c.linux.resources.memory = { useHierarchy: false }), /linux\.resources\.memory\.useHierarchy/);
  await refused('1.0.2', (c) => (c.linux.resources.rdma = { mlx5_1: { hcaHandles: 3 } }), /linux\.resources\.rdma/);
});

test('1.1.0: domainname, seccomp errnoRet and SCMP_ACT_KILL_PROCESS; scheduler, ioPriority, timeOffsets, unified, cpu.idle refused', async () => {
  const config = baseConfig('1.1.0', ['--try', 'mkdir']);
  config.domainname = 'example.org';
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    defaultErrnoRet: 1,
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 95 }, { names: ['kexec_load'], action: 'SCMP_ACT_KILL_PROCESS' }],
  };
  const run = await root.probeRun('v110', config);
  checkStates(run, 'v110');
  assert.equal(run.report.domainname, 'example.org');
  assert.equal(run.report.hostname, 'spec-1-1-0');
  assert.equal(run.report.actions.mkdir, 'EOPNOTSUPP', 'errnoRet 95');
  await refused('1.1.0', (c) => (c.process.scheduler = { policy: 'SCHED_BATCH' }), /config\.json field process\.scheduler/);
  await refused('1.1.0', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE' }), /config\.json field process\.ioPriority/);
  await refused('1.1.0', (c) => (c.linux.timeOffsets = { monotonic: { secs: 3600, nanosecs: 0 } }), /config\.json field linux\.timeOffsets/);
  await refused('1.1.0', (c) => (c.linux.resources.unified = { 'memory.high': '1000000' }), /linux\.resources\.unified/);
  await refused('1.1.0', (c) => (c.linux.resources.cpu = { idle: 1 }), /linux\.resources\.cpu\.idle/);
  await refused('1.1.0', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }), /linux\.seccomp\.listenerPath/);
  await refused('1.1.0', (c) => (c.domainname = 'x'.repeat(65)), /config\.json field domainname is longer than 64 bytes/);
});

test('1.2.0: a relative mount destination (taken from "/"), image annotations in state; idmap mounts refused', async () => {
  const config = baseConfig('1.2.0', []);
  config.mounts = config.mounts.filter((mount: { destination: string }) => mount.destination !== '/tmp');
  config.mounts.push({ destination: 'tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m', 'mode=750'] });
  config.annotations = { 'org.opencontainers.image.title': 'busybox-probe', 'org.opencontainers.image.version': '1.2.0' };
  const run = await root.probeRun('v120', config);
  checkStates(run, 'v120');
  assert.equal(mountAt(run.report, '/tmp').fstype, 'tmpfs');
  assert.match(mountAt(run.report, '/tmp').superOptions, /mode=750/);
  assert.deepEqual(run.stopped.annotations, config.annotations);
  await refused('1.2.0', (c) => c.mounts.push({ destination: '/data', type: 'bind', source: hooks, options: ['rbind', 'idmap'] }), /mounts\.\d+\.options option "idmap"/);
  await refused('1.2.0', (c) => c.mounts.push({ destination: '/data', type: 'bind', source: hooks, options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }), /mounts\.\d+\.uidMappings/);
});

test('1.3.0: pids.limit -1 is "max"; execCPUAffinity is for exec only (refused there); memoryPolicy, netDevices, intelRdt.schemata refused', async () => {
  const config = baseConfig('1.3.0', ['sleep', '60']);
  config.linux.resources.pids = { limit: -1 };
  config.process.execCPUAffinity = { initial: '0', final: '0' };
  const bundle = makeBundle(config);
  assert.equal((await root.create('v130', bundle)).status, 0);
  assert.equal((await root.state('v130')).status, 'created');
  assert.equal((await root.run('start', 'v130')).status, 0);
  assert.equal((await root.waitFor('v130', 'running')).status, 'running');
  // `exec ARGS` takes the container's process, whose execCPUAffinity rkt-oci cannot apply
  const withAffinity = await root.run('exec', 'v130', '/bin/probe');
  assert.equal(withAffinity.status, 1);
  assert.match(withAffinity.stderr, /config\.json field process\.execCPUAffinity/);
  const processFile = path.join(bundle, 'process.json');
  fs.writeFileSync(processFile, JSON.stringify({ ...config.process, execCPUAffinity: undefined, user: { uid: 0, gid: 0, umask: 0o077 }, args: ['/bin/probe', ...PIDS_MAX] }));
  const exec = await root.run('exec', '--process', processFile, 'v130');
  assert.equal(exec.status, 0, exec.stderr);
  const report = parseProbeReport(exec.stdout);
  assert.equal(pidsMax(report), 'max\n');
  assert.equal(report.hostname, 'spec-1-3-0');
  assert.equal(report.umask, '0077', 'the exec\'d process\'s own umask');
  assert.equal((await root.run('kill', 'v130', 'KILL')).status, 0);
  assert.equal((await root.waitFor('v130', 'stopped')).status, 'stopped');
  assert.equal((await root.run('delete', 'v130')).status, 0);
  await refused('1.3.0', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0' }), /config\.json field linux\.memoryPolicy/);
  await refused('1.3.0', (c) => (c.linux.netDevices = { eth9: { name: 'eth0' } }), /config\.json field linux\.netDevices/);
  await refused('1.3.0', (c) => (c.linux.intelRdt = { schemata: ['L3:0=ff'] }), /config\.json field linux\.intelRdt/);
});

test('features: every mount option it lists works in a bundle; hooks and namespaces are those the bundles above use', async () => {
  const result = await root.run('features');
  assert.equal(result.status, 0);
  const features = JSON.parse(result.stdout) as { ociVersionMin: string; ociVersionMax: string; hooks: string[]; mountOptions: string[]; linux: { namespaces: string[]; mountExtensions: { idmap: { enabled: boolean } } } };
  assert.equal(features.ociVersionMin, '1.0.0');
  assert.equal(features.ociVersionMax, '1.3.0');
  assert.deepEqual([...features.hooks].sort(), ['createContainer', 'createRuntime', 'poststart', 'poststop', 'prestart', 'startContainer']);
  assert.deepEqual([...features.linux.namespaces].sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts']);
  assert.equal(features.linux.mountExtensions.idmap.enabled, false);
  // one mount per option: a tmpfs for most, a bind for the bind options, and "remount" over an
  // earlier tmpfs at the same place (a remount needs a mount to change)
  const config = baseConfig('1.3.0', []);
  const targets: string[] = [];
  for (const [i, option] of features.mountOptions.entries()) {
    const destination = `/opts/${i}`;
    targets.push(destination);
    if (option === 'bind' || option === 'rbind') config.mounts.push({ destination, type: 'bind', source: hooks, options: [option] });
    else if (option === 'remount') config.mounts.push({ destination, type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] }, { destination, type: 'tmpfs', source: 'tmpfs', options: ['remount', 'ro'] });
    else config.mounts.push({ destination, type: 'tmpfs', source: 'tmpfs', options: [option, 'size=64k'] });
  }
  config.mounts.unshift({ destination: '/opts', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] });
  const run = await root.probeRun('options', config);
  for (const target of targets) mountAt(run.report, target);
  assert.match(mountAt(run.report, `/opts/${features.mountOptions.indexOf('ro')}`).options, /^ro,/);
  assert.match(mountAt(run.report, `/opts/${features.mountOptions.indexOf('remount')}`).options, /^ro,/, 'the remount made it read-only');
});
