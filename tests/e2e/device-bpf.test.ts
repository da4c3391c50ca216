/**
 * The cgroup v2 device allow-list: stage0's eBPF program (src/isolation/device-bpf.ts), attached by
 * the helper to the app's v2 cgroup (`devices-bpf`). This host's controllers are v1, but device
 * programs need no controller: the test makes a group under the empty unified hierarchy
 * (/sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on v2-only ones) and runs the helper on a
 * minimal plan whose one app, the probe, joins it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { compileDeviceFilter, encodeDeviceFilter } from '../../src/isolation/device-bpf.js';
import { serializePlan, type Stage1Plan } from '../../src/stage1/stage1-plan.js';
import { findStage1Helper } from '../../src/stage1/helper-binary.js';
import { parseProbeReport } from '../support/probe-report.js';
import { PROBE } from '../support/project-paths.js';

const UNIFIED = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((dir) => fs.existsSync(path.join(dir, 'cgroup.procs')) && fs.existsSync(path.join(dir, 'cgroup.subtree_control')));
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-devbpf-'));
const groups: string[] = [];
after(() => {
  for (const group of groups) fs.rmdirSync(group);
  fs.rmSync(base, { recursive: true, force: true });
});

/** Runs the probe as the plan's only app in a fresh v2 group, with or without the program. */
function runProbe(name: string, withProgram: boolean): { status: number | null; stdout: string; stderr: string } {
  const dir = path.join(base, name);
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'status'));
  fs.copyFileSync(PROBE, path.join(root, 'probe'));
  fs.chmodSync(path.join(root, 'probe'), 0o755);
  const group = path.join(UNIFIED!, `rkt-devbpf-test-${process.pid}-${name}`);
  fs.mkdirSync(group);
  groups.push(group);
  const program = path.join(dir, 'devices.bpf');
  fs.writeFileSync(program, encodeDeviceFilter(compileDeviceFilter()));
  const plan: Stage1Plan = {
    podDir: dir, lockFd: 3, errorFile: path.join(dir, 'error.json'), statusDir: path.join(dir, 'status'),
    namespaces: ['mount', 'pid', 'uts', 'ipc', 'net'], hostname: 'devbpf', root, steps: [],
    apps: [{
      name: 'probe', root: '/', exec: '/probe', argv: ['probe', '--try', 'mknod-block', '--try', 'open-block'], env: [], cwd: '/',
      uid: 0, gid: 0, groups: [], cgroups: [group], ...(withProgram ? { devicesFile: program } : {}),
    }],
  };
  fs.writeFileSync(path.join(dir, 'plan'), serializePlan(plan));
  const lock = fs.openSync(dir, 'r');
  try {
    return spawnSync(findStage1Helper(), ['run', path.join(dir, 'plan')], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe', lock] });
  } finally {
    fs.closeSync(lock);
  }
}

test('the program attached to the app\'s v2 group: a block device can be made but not opened; without it, it can', { skip: UNIFIED ? false : 'no cgroup2 mount' }, () => {
  const without = runProbe('without', false);
  assert.equal(without.status, 0, without.stderr);
  const free = parseProbeReport(without.stdout);
  assert.equal(free.actions['mknod-block'], 'ok');
  assert.notEqual(free.actions['open-block'], 'EPERM', 'no program: the kernel gets to the (missing) disk');
  const filtered = runProbe('with', true);
  assert.equal(filtered.status, 0, filtered.stderr);
  const report = parseProbeReport(filtered.stdout);
  assert.equal(report.actions['mknod-block'], 'ok', 'mknod of any device is allowed, as on v1');
  assert.equal(report.actions['open-block'], 'EPERM', 'the program refuses b 8:0');
});
