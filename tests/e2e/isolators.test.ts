/** rkt's per-app isolator flags, enforced and visible from inside the pod; cgroups gone after rm. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { parseProbeReport } from '../support/probe-report.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('isolators');
after(() => removeDataDir(dataDir));

const image = () => `oci:${busyboxLayout()}:latest`;

async function probe(appFlags: string[], probeArgs: string[] = [], pod: string[] = []) {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', ...pod, image(), '--exec=/bin/probe', ...appFlags, '--', ...probeArgs]);
  assert.equal(result.status, 0, result.stderr);
  return parseProbeReport(result.stdout);
}

/** Every rkt-<uuid> group under the v1 hierarchies this process can see. */
function rktGroups(uuid: string): string[] {
  const self = fs.readFileSync('/proc/self/cgroup', 'utf8');
  const found: string[] = [];
  for (const controller of ['memory', 'cpu', 'pids', 'devices']) {
    const own = new RegExp(`^\\d+:([^:]*,)?${controller}(,[^:]*)?:(.*)$`, 'm').exec(self)?.[3] ?? '/';
    const dir = path.join('/sys/fs/cgroup', controller, own, `rkt-${uuid}`);
    if (fs.existsSync(dir)) found.push(dir);
  }
  return found;
}

test('--caps-retain makes the bounding set exactly the list', async () => {
  const report = await probe(['--caps-retain=CAP_NET_ADMIN,CAP_SYS_TIME']);
  assert.equal(report.caps.CapBnd, (2 ** 12 + 2 ** 25).toString(16).padStart(16, '0'));
  assert.equal(report.caps.CapEff, report.caps.CapBnd);
});

test('--caps-remove takes capabilities out of the default fourteen', async () => {
  const report = await probe(['--caps-remove=CAP_NET_RAW,CAP_MKNOD'], ['--try', 'mknod-block']);
  assert.equal(report.caps.CapBnd, ((0xa80425fb & ~(2 ** 13) & ~(2 ** 27)) >>> 0).toString(16).padStart(16, '0'));
  assert.equal(report.actions['mknod-block'], 'EPERM', 'without CAP_MKNOD');
});

test('--caps-retain=CAP_SYS_ADMIN also opens the calls containerd guards with it (mount)', async () => {
  const report = await probe(['--caps-retain=CAP_SYS_ADMIN'], ['--try', 'mount']);
  assert.equal(report.actions.mount, 'ok');
});

test('--seccomp mode=remove with errno: the call fails with that errno', async () => {
  const report = await probe(['--seccomp=mode=remove,errno=ENOTSUP,mkdir,mkdirat'], ['--try', 'mkdir', '--try', 'mount']);
  assert.equal(report.actions.mkdir, 'EOPNOTSUPP', 'ENOTSUP is EOPNOTSUPP on Linux');
  assert.equal(report.actions.mount, 'EPERM', 'still refused by the missing CAP_SYS_ADMIN');
  assert.equal(report.seccomp, 2);
});

test('--seccomp mode=remove without errno: the call kills the app with SIGSYS (128+31)', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', image(), '--exec=/bin/probe', '--seccomp=mode=remove,mkdir,mkdirat', '--', '--try', 'mkdir']);
  assert.equal(result.status, 159, result.stderr);
});

test('--seccomp mode=retain,@appc.io/all: no filter at all', async () => {
  const report = await probe(['--seccomp=mode=retain,@appc.io/all']);
  assert.equal(report.seccomp, 0);
});

test('--seccomp mode=retain with the default whitelist wildcard runs the probe; a call outside it kills', async () => {
  const report = await probe(['--seccomp=mode=retain,@rkt/default-whitelist']);
  assert.equal(report.seccomp, 2);
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', image(), '--exec=/bin/probe', '--seccomp=mode=retain,@rkt/default-whitelist', '--', '--try', 'unshare']);
  assert.equal(result.status, 159, 'unshare is not in the whitelist: SIGSYS');
});

test('--memory, --cpu, --cpu-shares and --oom-score-adj show in the app\'s cgroups and /proc', async () => {
  const report = await probe(['--memory=48Mi', '--cpu=250m', '--cpu-shares=512', '--oom-score-adj=300'], [
    '--stat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '--stat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us',
    '--stat', '/sys/fs/cgroup/cpu/cpu.cfs_period_us', '--stat', '/sys/fs/cgroup/cpu/cpu.shares', '--stat', '/proc/self/oom_score_adj',
  ]);
  assert.equal(report.files['/sys/fs/cgroup/memory/memory.limit_in_bytes']?.content, `${48 * 1024 * 1024}\n`);
  assert.equal(report.files['/sys/fs/cgroup/cpu/cpu.cfs_quota_us']?.content, '25000\n');
  assert.equal(report.files['/sys/fs/cgroup/cpu/cpu.cfs_period_us']?.content, '100000\n');
  assert.equal(report.files['/sys/fs/cgroup/cpu/cpu.shares']?.content, '512\n');
  assert.equal(report.files['/proc/self/oom_score_adj']?.content, '300\n');
});

test('a memory hog over --memory is OOM-killed: status 137, in rkt status too', async () => {
  const uuidFile = path.join(dataDir, 'oom-uuid');
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, image(), '--exec=/bin/probe', '--memory=32Mi', '--', 'hog', '256']);
  assert.equal(result.status, 137, result.stderr);
  const status = await runRkt(dataDir, ['status', fs.readFileSync(uuidFile, 'utf8').trim()]);
  assert.match(status.stdout, /^app-busybox=137$/m);
});

test('a fork bomb stops at the default pids limit and the host is fine', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', image(), '--exec=/bin/probe', '--', 'forkbomb'], { timeoutMs: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  const bomb = JSON.parse(result.stdout.trim()) as { forked: number; error: string };
  assert.equal(bomb.error, 'EAGAIN');
  assert.ok(bomb.forked >= 2040 && bomb.forked < 2048, `forked ${bomb.forked}, limit 2048`);
  const hostChild = await runRkt(dataDir, ['version']);
  assert.equal(hostChild.status, 0, 'the host can still start processes');
});

test('rkt rm removes every cgroup of the pod', async () => {
  const uuidFile = path.join(dataDir, 'rm-uuid');
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, image(), '--exec=/bin/probe', '--memory=64Mi']);
  assert.equal(result.status, 0, result.stderr);
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  assert.equal(rktGroups(uuid).length, 4, 'memory, cpu, pids and devices groups while the pod is not removed');
  const rm = await runRkt(dataDir, ['rm', uuid]);
  assert.equal(rm.status, 0, rm.stderr);
  assert.deepEqual(rktGroups(uuid), []);
});
