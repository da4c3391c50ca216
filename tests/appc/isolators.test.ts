/**
 * An appc image's isolators, applied as rkt applied them and seen from inside the pod with the
 * probe; the command line's flags replace them kind by kind; isolators rkt does not apply are
 * named in a warning (ace.md: the executor must tell the user).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildAci } from '../support/aci-builder.js';
import { GpgHome, type TestKey, trustKey } from '../support/gpg-keys.js';
import { parseProbeReport } from '../support/probe-report.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('appc-isolators');
const work = path.join(dataDir, 'work');
const local = path.join(dataDir, 'local-config');
const gpg = new GpgHome();
let key: TestKey;
let image: string;

const config = [`--system-config=${path.join(dataDir, 'system-config')}`, `--local-config=${local}`];
const MEMORY_FILE = '/sys/fs/cgroup/memory/memory.limit_in_bytes';
const PROBE_ARGS = ['--stat', MEMORY_FILE, '--stat', '/proc/self/oom_score_adj', '--try', 'mkdir'];

before(async () => {
  fs.mkdirSync(work, { recursive: true });
  key = gpg.makeKey('Isolators <keys@example.com>');
  trustKey(local, 'example.com/isolated', key);
  image = path.join(work, 'isolated.aci');
  fs.writeFileSync(image, await buildAci({
    name: 'example.com/isolated',
    busybox: true,
    app: {
      user: '0', group: '0',
      exec: ['/bin/probe', ...PROBE_ARGS],
      isolators: [
        { name: 'resource/memory', value: { request: '32Mi', limit: '64Mi' } },
        { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN'] } },
        { name: 'os/linux/seccomp-remove-set', value: { set: ['mkdir', 'mkdirat'], errno: 'ENOTSUP' } },
        { name: 'os/linux/oom-score-adj', value: 250 },
        { name: 'resource/network-bandwidth', value: { limit: '1G' } },
      ],
    },
  }));
  key.sign(image);
});
after(() => {
  gpg.remove();
  removeDataDir(dataDir);
});

test('the image\'s memory, capabilities, seccomp and oom-score-adj isolators apply; an unknown one is named', async () => {
  const run = await runRkt(dataDir, [...config, 'run', image]);
  assert.equal(run.status, 0, run.stderr);
  const report = parseProbeReport(run.stdout);
  assert.equal(report.files[MEMORY_FILE]?.content, `${64 * 2 ** 20}\n`);
  assert.equal(report.caps.CapBnd, (2 ** 10 + 2 ** 0).toString(16).padStart(16, '0'), 'CAP_NET_BIND_SERVICE and CAP_CHOWN only');
  assert.equal(report.actions.mkdir, 'EOPNOTSUPP', 'mkdir removed with errno ENOTSUP');
  assert.equal(report.files['/proc/self/oom_score_adj']?.content, '250\n');
  assert.match(run.stderr, /warning: app "isolated": image isolator resource\/network-bandwidth \(not applied by rkt\) is ignored/);
});

test('the command line\'s isolators replace the image\'s of the same kind, and leave the others', async () => {
  const run = await runRkt(dataDir, [...config, 'run', image, '--memory=48Mi', '--caps-remove=CAP_KILL', '--seccomp=mode=retain,@appc.io/all']);
  assert.equal(run.status, 0, run.stderr);
  const report = parseProbeReport(run.stdout);
  assert.equal(report.files[MEMORY_FILE]?.content, `${48 * 2 ** 20}\n`);
  assert.equal(report.caps.CapBnd, ((0xa80425fb & ~(2 ** 5)) >>> 0).toString(16).padStart(16, '0'), 'the default fourteen but CAP_KILL');
  assert.equal(report.actions.mkdir, 'ok', 'no filter');
  assert.equal(report.files['/proc/self/oom_score_adj']?.content, '250\n', 'the image\'s, no flag given');
});
