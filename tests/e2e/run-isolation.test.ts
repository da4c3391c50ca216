/** What an app sees from inside its pod, reported by the probe. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { hostNamespaces } from '../support/host-state.js';
import { mountAt, parseProbeReport, type ProbeReport } from '../support/probe-report.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('isolation');
after(() => removeDataDir(dataDir));

let report: ProbeReport;
let uuid: string;

before(async () => {
  const uuidFile = path.join(dataDir, 'uuid');
  const result = await runRkt(dataDir, [
    'run', '--insecure-options=image', '--net=none', '--hostname=probe-pod', `--uuid-file-save=${uuidFile}`,
    `--set-env=POD_WIDE=1`,
    `oci:${busyboxLayout()}:latest`, '--exec=/bin/probe', '--environment=APP_ONLY=yes', '--working-dir=/srv/work',
    '--', '--stat', '/etc/hostname', '--stat', '/etc/hosts', '--stat', '/dev/null', '--try-write', '/sys/kernel/probe', '--try-write', '/tmp/ok',
  ]);
  assert.equal(result.status, 0, result.stderr);
  report = parseProbeReport(result.stdout);
  uuid = fs.readFileSync(uuidFile, 'utf8').trim();
});

test('the app runs in new PID, mount, UTS, IPC and network namespaces', () => {
  const host = hostNamespaces();
  for (const name of ['pid', 'mnt', 'uts', 'ipc', 'net']) assert.notEqual(report.ns[name], host[name], `${name} namespace is the host's`);
  assert.equal(report.pid, 2, 'the app is the first child of the pod PID 1');
  assert.equal(report.ppid, 1);
});

test('the hostname is the pod\'s, in the kernel and in /etc/hostname', () => {
  assert.equal(report.hostname, 'probe-pod');
  assert.equal(report.files['/etc/hostname']?.content, 'probe-pod\n');
  assert.match(report.files['/etc/hosts']?.content ?? '', /^127\.0\.0\.1\tprobe-pod$/m);
});

test('the root is an overlay, /sys is read-only, /proc is nosuid,nodev,noexec', () => {
  assert.equal(mountAt(report, '/').fstype, 'overlay');
  const sys = mountAt(report, '/sys');
  assert.equal(sys.fstype, 'sysfs');
  assert.match(sys.options, /(^|,)ro(,|$)/);
  assert.equal(report.tries['/sys/kernel/probe'], 'EROFS');
  const proc = mountAt(report, '/proc');
  for (const flag of ['nosuid', 'nodev', 'noexec']) assert.match(proc.options, new RegExp(`(^|,)${flag}(,|$)`));
  assert.equal(report.tries['/tmp/ok'], 'ok', 'the app root is writable');
});

test('/dev is a minimal tmpfs with real device nodes and a private devpts', () => {
  assert.equal(mountAt(report, '/dev').fstype, 'tmpfs');
  assert.equal(mountAt(report, '/dev/pts').fstype, 'devpts');
  assert.equal(report.files['/dev/null']?.type, 'char');
});

test('environment: image, --set-env, --environment, AC_APP_NAME and defaults', () => {
  assert.equal(report.env.POD_WIDE, '1');
  assert.equal(report.env.APP_ONLY, 'yes');
  assert.equal(report.env.AC_APP_NAME, 'busybox');
  assert.equal(report.env.HOME, '/root');
  assert.ok(report.env.PATH?.includes('/bin'));
});

test('working directory, ids and file descriptors', () => {
  assert.equal(report.cwd, '/srv/work');
  assert.equal(report.uid, 0);
  assert.equal(report.gid, 0);
  assert.deepEqual(report.fds, [0, 1, 2], 'only stdio reaches the app');
});

test('the pod is recorded as exited with the app status', async () => {
  const status = await runRkt(dataDir, ['status', uuid]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /^state=exited$/m);
  assert.match(status.stdout, /^exited=true$/m);
  assert.match(status.stdout, /^app-busybox=0$/m);
});

test('--user and --group pick an image user by name', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `oci:${busyboxLayout()}:latest`, '--user=nobody', '--group=nogroup']);
  assert.equal(result.status, 0, result.stderr);
  const nobody = parseProbeReport(result.stdout);
  assert.equal(nobody.uid, 65534);
  assert.equal(nobody.gid, 65534);
  assert.equal(nobody.caps.CapEff, '0000000000000000', 'a non-root app has no effective capabilities');
});
