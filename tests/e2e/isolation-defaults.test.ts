/** A default `rkt run` against the "Default protections" table, seen from inside the pod. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { mountAt, parseProbeReport, type ProbeReport } from '../support/probe-report.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('defaults');
after(() => removeDataDir(dataDir));

const ACTIONS = ['mount', 'umount-kcore', 'unshare', 'clone-newuser', 'mknod-block', 'open-block', 'sysrq', 'kcore', 'proc1-exe', 'proc1-fd', 'ptrace1', 'socket-vsock', 'socket-alg', 'mkdir'];
let report: ProbeReport;

function probeArgs(extra: string[] = []): string[] {
  return ['--', ...ACTIONS.flatMap((action) => ['--try', action]), '--try-write', '/sys/fs/cgroup/pids/pids.max',
    '--stat', '/proc/keys', '--stat', '/proc/timer_list', '--stat', '/sys/fs/cgroup/pids/pids.max', '--stat', '/dev/core', ...extra];
}

before(async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `oci:${busyboxLayout()}:latest`, '--exec=/bin/probe', ...probeArgs()]);
  assert.equal(result.status, 0, result.stderr);
  report = parseProbeReport(result.stdout);
});

test('capabilities: rkt\'s fourteen in the bounding, permitted and effective sets; inheritable and ambient empty', () => {
  assert.equal(report.caps.CapBnd, '00000000a80425fb');
  assert.equal(report.caps.CapEff, '00000000a80425fb');
  assert.equal(report.caps.CapPrm, '00000000a80425fb');
  assert.equal(report.caps.CapInh, '0000000000000000');
  assert.equal(report.caps.CapAmb, '0000000000000000');
});

test('no_new_privs is on and a seccomp filter is loaded (mode 2)', () => {
  assert.equal(report.noNewPrivs, 1);
  assert.equal(report.seccomp, 2);
});

test('seccomp and the missing capabilities refuse mount, unshare, namespaced clone, ptrace and vsock/alg sockets', () => {
  for (const action of ['mount', 'umount-kcore', 'unshare', 'clone-newuser', 'ptrace1', 'socket-vsock', 'socket-alg']) {
    assert.equal(report.actions[action], 'EPERM', action);
  }
  assert.equal(report.actions.mkdir, 'ok', 'ordinary calls still work');
});

test('devices: a block device can be made but not opened (devices cgroup)', () => {
  assert.equal(report.actions['mknod-block'], 'ok', 'mknod is allowed ("m" on b *:*), as in runc');
  assert.equal(report.actions['open-block'], 'EPERM');
});

test('the helper cannot be reopened for writing through /proc/1/exe, nor its fds opened; only fds 0-2 reach the app', () => {
  assert.notEqual(report.actions['proc1-exe'], 'ok');
  assert.equal(report.actions['proc1-fd'], 'EACCES', 'PID 1 is not dumpable: its fds cannot be opened through /proc/1/fd');
  assert.deepEqual(report.fds, [0, 1, 2]);
});

test('rlimits: NOFILE is 1024/1024 whatever the caller had', () => {
  assert.deepEqual(report.nofile, ['1024', '1024']);
});

test('masked files read empty as /dev/null; masked directories are empty read-only tmpfs', () => {
  for (const file of ['/proc/keys', '/proc/timer_list']) {
    if (!fs.existsSync(file)) {
      console.log(`# ${file} does not exist on this kernel; not checked`);
      continue;
    }
    const masked = report.files[file] as { type?: string; major?: number; minor?: number };
    assert.deepEqual([masked.type, masked.major, masked.minor], ['char', 1, 3], `${file} is /dev/null`);
  }
  if (fs.existsSync('/proc/kcore')) assert.equal(report.actions.kcore, 'empty');
  else {
    console.log('# /proc/kcore does not exist on this kernel: checked absent in the pod too');
    assert.equal(report.actions.kcore, 'ENOENT');
  }
  for (const dir of ['/sys/firmware', '/proc/acpi']) {
    if (!fs.existsSync(dir)) continue;
    const mount = mountAt(report, dir);
    assert.equal(mount.fstype, 'tmpfs', dir);
    assert.match(mount.options, /(^|,)ro(,|$)/, dir);
  }
});

test('/proc/bus, /proc/fs, /proc/irq, /proc/sys and /proc/sysrq-trigger are read-only', () => {
  for (const dir of ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys']) assert.match(mountAt(report, dir).options, /(^|,)ro(,|$)/, dir);
  if (fs.existsSync('/proc/sysrq-trigger')) assert.match(report.actions.sysrq ?? '', /^(EROFS|EACCES|EPERM)$/);
  else {
    console.log('# /proc/sysrq-trigger does not exist on this kernel: checked absent in the pod too');
    assert.equal(report.actions.sysrq, 'ENOENT');
  }
});

test('/sys/fs/cgroup shows the app\'s own groups, read-only, with the default pids limit', () => {
  assert.match(mountAt(report, '/sys/fs/cgroup').options, /(^|,)ro(,|$)/);
  assert.equal(report.tries['/sys/fs/cgroup/pids/pids.max'], 'EROFS');
  assert.equal(report.files['/sys/fs/cgroup/pids/pids.max']?.content, '2048\n');
  assert.match(report.cgroup, /^\d+:pids:\/$/m, 'a cgroup namespace rooted at the app\'s groups');
  for (const line of report.cgroup.trim().split('\n')) assert.match(line, /:\/$/, 'every hierarchy shows / inside');
});

test('/dev has mqueue and core -> /proc/kcore', () => {
  assert.equal(mountAt(report, '/dev/mqueue').fstype, 'mqueue');
  assert.equal(report.files['/dev/core']?.type, 'symlink');
});

test('a non-root app: no effective capabilities, the bounding set still the fourteen, no_new_privs', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `oci:${busyboxLayout()}:latest`, '--user=nobody', '--exec=/bin/probe']);
  assert.equal(result.status, 0, result.stderr);
  const nobody = parseProbeReport(result.stdout);
  assert.equal(nobody.caps.CapEff, '0000000000000000');
  assert.equal(nobody.caps.CapPrm, '0000000000000000');
  assert.equal(nobody.caps.CapBnd, '00000000a80425fb');
  assert.equal(nobody.noNewPrivs, 1);
});

test('--insecure-options=capabilities,paths,seccomp turns each protection off', async () => {
  const result = await runRkt(dataDir, [
    'run', '--insecure-options=image,capabilities,paths,seccomp', `oci:${busyboxLayout()}:latest`, '--exec=/bin/probe', '--', '--stat', '/proc/keys',
  ], { timeoutMs: 20_000 });
  assert.equal(result.status, 0, result.stderr);
  const open = parseProbeReport(result.stdout);
  const host = fs.readFileSync('/proc/self/status', 'utf8');
  assert.equal(open.caps.CapBnd, /^CapBnd:\s*([0-9a-f]+)$/m.exec(host)![1], 'the bounding set is the host\'s');
  assert.equal(open.seccomp, 0);
  assert.equal(open.noNewPrivs, 0);
  assert.ok(!open.mounts.some((m) => m.target === '/proc/sys'), '/proc/sys is not remounted');
  if (fs.existsSync('/proc/keys')) assert.notEqual(open.files['/proc/keys']?.type, 'char');
});

test('--insecure-options=seccomp: without the filter, non-dumpability alone keeps PID 1 from ptrace and /proc/1/{exe,fd}', async () => {
  const result = await runRkt(dataDir, [
    'run', '--insecure-options=image,seccomp', `oci:${busyboxLayout()}:latest`, '--exec=/bin/probe', '--',
    '--try', 'ptrace1', '--try', 'proc1-exe', '--try', 'proc1-fd',
  ], { timeoutMs: 20_000 });
  assert.equal(result.status, 0, result.stderr);
  const open = parseProbeReport(result.stdout);
  assert.equal(open.seccomp, 0);
  assert.equal(open.actions.ptrace1, 'EPERM', 'PID 1 cannot be ptraced');
  assert.notEqual(open.actions['proc1-exe'], 'ok', '/proc/1/exe cannot be opened for writing');
  assert.equal(open.actions['proc1-fd'], 'EACCES');
  assert.deepEqual(open.fds, [0, 1, 2]);
});
