/**
 * `--private-users`: the pod's apps in a user namespace on a host uid/gid range of their own, the
 * image layers idmapped into it; seen from inside with the probe and from the host.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { parseProbeReport } from '../support/probe-report.js';
import { runRkt, startRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('private-users');
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-private-users-vol-'));
after(() => {
  removeDataDir(dataDir);
  fs.rmSync(hostDir, { recursive: true, force: true });
});

const image = () => `oci:${busyboxLayout()}:latest`;

/** "0 SHIFT COUNT" of a map as /proc prints it. */
function parseMap(text: string): number[] {
  return text.trim().split(/\s+/).map(Number);
}

test('the pod\'s root is uid 0 inside and a shifted uid on the host; layers are idmapped; volumes keep host ownership', async () => {
  fs.chmodSync(hostDir, 0o777);
  fs.writeFileSync(path.join(hostDir, 'secret'), 'host only\n', { mode: 0o600 });
  const result = await runRkt(dataDir, [
    'run', '--insecure-options=image', '--net=none', '--private-users', '--volume=vol,kind=host,source=' + hostDir, '--volume=scratch,kind=empty,uid=5,gid=6', image(),
    '--mount=volume=vol,target=/vol', '--mount=volume=scratch,target=/scratch', '--exec=/bin/probe', '--',
    '--stat', '/bin/probe', '--stat', '/scratch', '--stat', '/vol/secret', '--stat', '/tmp', '--try-write', '/vol/made-by-pod', '--try-write', '/made-in-root',
    '--try', 'mknod-block', '--try', 'ptrace1', '--try', 'proc1-fd',
  ], { timeoutMs: 20_000 });
  assert.equal(result.status, 0, result.stderr);
  const report = parseProbeReport(result.stdout);
  const [inside, shift, count] = parseMap(report.uidMap);
  assert.equal(inside, 0);
  assert.equal(count, 65536);
  assert.ok(shift! >= 65536 && shift! % 65536 === 0 && shift! <= 0x7fff * 65536, `shift ${shift}`);
  assert.deepEqual(parseMap(report.gidMap), [0, shift, 65536]);
  assert.equal(report.uid, 0, 'root inside');
  assert.equal(report.caps.CapBnd, '00000000a80425fb', 'the default capabilities, in the namespace');
  assert.equal(report.seccomp, 2);
  assert.equal(report.files['/bin/probe']?.uid, 0, 'the image\'s files are root\'s inside (idmapped layers)');
  assert.equal(report.files['/tmp']?.uid, 0, 'what the helper creates in the root is the pod\'s root\'s');
  assert.equal(report.tries['/made-in-root'], 'ok', 'the pod\'s root can write its own root filesystem');
  assert.deepEqual([report.files['/scratch']?.uid, report.files['/scratch']?.gid], [5, 6], 'an empty volume\'s owner is the pod\'s uid 5');
  // the volume is not idmapped: host root's files are nobody's inside, and closed to the pod's root
  assert.equal(report.files['/vol/secret']?.uid, 65534);
  assert.equal(report.files['/vol/secret']?.content, null, 'a 0600 host-root file cannot be read');
  assert.equal(report.tries['/vol/made-by-pod'], 'ok');
  assert.equal(fs.statSync(path.join(hostDir, 'made-by-pod')).uid, shift, 'a file the pod\'s root makes is owned by the shifted uid');
  assert.equal(report.actions['mknod-block'], 'EPERM', 'no device nodes in a user namespace');
  assert.equal(report.actions.ptrace1, 'EPERM');
  assert.equal(report.actions['proc1-fd'], 'EACCES');
});

test('two pods get different ranges; rm gives the range back', async () => {
  const shifts: number[] = [];
  const uuids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const uuidFile = path.join(dataDir, `uuid-${i}`);
    const result = await runRkt(dataDir, ['run', '--insecure-options=image', '--net=none', '--private-users', `--uuid-file-save=${uuidFile}`, image(), '--exec=/bin/probe'], { timeoutMs: 20_000 });
    assert.equal(result.status, 0, result.stderr);
    shifts.push(parseMap(parseProbeReport(result.stdout).uidMap)[1]!);
    uuids.push(fs.readFileSync(uuidFile, 'utf8').trim());
  }
  assert.notEqual(shifts[0], shifts[1]);
  const ranges = path.join(dataDir, 'private-users');
  for (const [i, shift] of shifts.entries()) assert.equal(fs.readFileSync(path.join(ranges, String(shift)), 'utf8').trim(), uuids[i]);
  const rm = await runRkt(dataDir, ['rm', uuids[0]!]);
  assert.equal(rm.status, 0, rm.stderr);
  assert.ok(!fs.existsSync(path.join(ranges, String(shifts[0]))), 'released');
  assert.ok(fs.existsSync(path.join(ranges, String(shifts[1]))), 'the other pod keeps its range');
});

test('rkt enter joins the pod\'s user namespace: the same namespaces, ids and capabilities as the app', async () => {
  const uuidFile = path.join(dataDir, 'uuid-enter');
  const child = startRkt(dataDir, ['run', '--insecure-options=image', '--net=none', '--private-users', `--uuid-file-save=${uuidFile}`, image(), '--name=app', '--exec=/bin/probe', '--', 'sleep', '60']);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`the pod did not get ready: ${stderr}`)), 30_000);
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('probe: ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
    const podDir = path.join(dataDir, 'pods', 'run', uuid);
    const pid1 = Number(fs.readFileSync(path.join(podDir, 'pid'), 'utf8'));
    const appPid = Number(fs.readFileSync(`/proc/${pid1}/task/${pid1}/children`, 'utf8').trim().split(/\s+/)[0]);
    const result = await runRkt(dataDir, ['enter', uuid, '/bin/probe']);
    assert.equal(result.status, 0, result.stderr);
    const entered = parseProbeReport(result.stdout);
    for (const name of ['user', 'mnt', 'pid', 'cgroup', 'ipc', 'uts', 'net']) {
      assert.equal(entered.ns[name], fs.readlinkSync(`/proc/${appPid}/ns/${name}`), name);
    }
    assert.equal(entered.uidMap, fs.readFileSync(`/proc/${appPid}/uid_map`, 'utf8'));
    assert.equal(entered.uid, 0);
    assert.equal(entered.caps.CapEff, '00000000a80425fb');
    assert.equal(entered.seccomp, 2);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
