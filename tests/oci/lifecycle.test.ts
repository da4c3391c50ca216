/** rkt-oci through the runtime-spec lifecycle: create, start, state, kill, delete, list, errors. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { processExists } from '../support/host-state.js';
import { defaultConfig, makeBundle, OciRoot, RKT_OCI } from '../support/oci-bundle.js';
import { runCommand } from '../support/run-rkt.js';

const root = new OciRoot();
after(() => root.cleanup());

function checkState(state: Record<string, unknown>, id: string, bundle: string): void {
  assert.equal(typeof state.ociVersion, 'string');
  assert.match(state.ociVersion as string, /^1\.[0-9]+\.[0-9]+$/);
  assert.equal(state.id, id);
  assert.ok(['creating', 'created', 'running', 'stopped'].includes(state.status as string));
  assert.equal(typeof state.pid, 'number');
  assert.equal(state.bundle, bundle);
  assert.equal(typeof state.annotations, 'object');
}

test('create waits before the program; start runs it; kill stops it; delete removes everything', async () => {
  const config = defaultConfig();
  config.process.args = ['/bin/probe', 'sleep', '60'];
  config.annotations = { 'org.example.test': 'lifecycle' };
  const bundle = makeBundle(config);
  const created = await root.create('life', bundle, ['--pid-file', path.join(bundle, 'pid')]);
  assert.equal(created.status, 0, created.stderr);

  const state = await root.state('life');
  checkState(state, 'life', bundle);
  assert.equal(state.status, 'created');
  assert.deepEqual(state.annotations, { 'org.example.test': 'lifecycle' });
  const pid = state.pid as number;
  assert.ok(processExists(pid));
  assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/mnt`), fs.readlinkSync('/proc/self/ns/mnt'), 'the process is in the container\'s mount namespace');
  assert.ok(!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('probe'), 'the program has not been exec\'d yet');
  const helper = Number(fs.readFileSync(path.join(bundle, 'pid'), 'utf8'));
  assert.ok(processExists(helper), '--pid-file names the helper, which outlives create');

  const list = await root.run('list', '--format', 'json');
  assert.deepEqual((JSON.parse(list.stdout) as { id: string; status: string }[]).map((c) => [c.id, c.status]), [['life', 'created']]);
  assert.equal((await root.run('start', 'life')).status, 0);
  await root.waitFor('life', 'running');
  assert.ok(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/bin/probe\0sleep'), 'start exec\'d the program in the same process');
  const ps = await root.run('ps', '--format', 'json', 'life');
  assert.deepEqual(JSON.parse(ps.stdout), [pid]);

  const refused = await root.run('delete', 'life');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /running/);
  assert.equal((await root.run('start', 'life')).status, 1, 'a running container cannot be started again');

  assert.equal((await root.run('kill', 'life', 'KILL')).status, 0);
  const stopped = await root.waitFor('life', 'stopped');
  checkState(stopped, 'life', bundle);
  assert.equal((await root.run('kill', 'life')).status, 1, 'a stopped container cannot be signalled');
  const cgroupDirs = (JSON.parse(fs.readFileSync(path.join(root.dir, 'life', 'state.json'), 'utf8')) as { cgroupDirs: string[] }).cgroupDirs;
  assert.ok(cgroupDirs.length > 0 && cgroupDirs.every((dir) => fs.existsSync(dir)));
  assert.equal((await root.run('delete', 'life')).status, 0);
  assert.ok(cgroupDirs.every((dir) => !fs.existsSync(dir)), 'delete removed the cgroups');
  assert.ok(!fs.existsSync(path.join(root.dir, 'life')));
  const gone = await root.run('state', 'life');
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /does not exist/);
});

test('kill takes signal names and numbers; the process sees the signal', async () => {
  await root.started('sig', ['/bin/probe', 'sleep', '60']);
  assert.equal((await root.run('kill', 'sig', 'NOPE')).status, 1);
  assert.equal((await root.run('kill', 'sig', '15')).status, 0);
  await root.waitFor('sig', 'stopped');
  assert.equal((await root.run('delete', 'sig')).status, 0);
});

test('delete --force kills a running container; delete of a created one kills it (as runc)', async () => {
  const config = defaultConfig();
  config.process.args = ['/bin/probe', 'ignore-term', 'sleep', '60'];
  const bundle = makeBundle(config);
  assert.equal((await root.create('forced', bundle)).status, 0);
  assert.equal((await root.run('start', 'forced')).status, 0);
  const { pid } = await root.waitFor('forced', 'running');
  assert.equal((await root.run('delete', '--force', 'forced')).status, 0);
  assert.ok(!processExists(pid as number));
  assert.ok(!fs.existsSync(path.join(root.dir, 'forced')));

  assert.equal((await root.create('waiting', makeBundle(config))).status, 0);
  const waiting = await root.state('waiting');
  assert.equal((await root.run('delete', 'waiting')).status, 0);
  assert.ok(!processExists(waiting.pid as number));
});

test('a container whose program exits is stopped; its output went to create\'s stdout', async () => {
  const bundle = makeBundle(defaultConfig());
  const created = await root.create('short', bundle);
  assert.equal(created.status, 0, created.stderr);
  assert.equal(fs.readFileSync(created.output, 'utf8'), '', 'nothing runs before start');
  assert.equal((await root.run('start', 'short')).status, 0);
  await root.waitFor('short', 'stopped');
  assert.match(fs.readFileSync(created.output, 'utf8'), /"hostname":"runc"/);
  assert.equal((await root.run('delete', 'short')).status, 0);
});

test('errors: a taken id, a bundle without config.json, a field of the wrong type, an unsupported field; JSON log lines', async () => {
  const bundle = makeBundle(defaultConfig());
  assert.equal((await root.create('dup', bundle)).status, 0);
  const dup = await root.create('dup', bundle);
  assert.equal(dup.status, 1);
  assert.match(dup.stderr, /already exists/);

  const empty = makeBundle({});
  fs.rmSync(path.join(empty, 'config.json'));
  assert.match((await root.create('none', empty)).stderr, /config\.json/);

  const relative = defaultConfig();
  relative.process.cwd = 'work';
  const bad = await root.create('badcwd', makeBundle(relative));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /field process\.cwd: must be an absolute path/);

  const userns = defaultConfig();
  userns.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  const log = path.join(root.dir, 'log.json');
  const refused = await runCommand(RKT_OCI, ['--root', root.dir, '--log', log, '--log-format', 'json', 'create', '--bundle', makeBundle(userns), 'userns']);
  assert.equal(refused.status, 1);
  const line = JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n').pop()!) as { level: string; msg: string; time: string };
  assert.equal(line.level, 'error');
  assert.match(line.msg, /linux\.uidMappings/);
  assert.ok(!Number.isNaN(Date.parse(line.time)));
  assert.ok(!fs.existsSync(path.join(root.dir, 'userns')), 'a failed create leaves nothing');

  const version = defaultConfig();
  version.ociVersion = '2.0.0';
  assert.match((await root.create('v2', makeBundle(version))).stderr, /ociVersion/);
});

test('features prints runc\'s JSON shape; --systemd-cgroup is refused clearly', async () => {
  const features = JSON.parse((await root.run('features')).stdout) as { ociVersionMin: string; ociVersionMax: string; linux: { seccomp: { enabled: boolean } } };
  assert.equal(features.ociVersionMin, '1.0.0');
  assert.equal(features.ociVersionMax, '1.3.0');
  assert.equal(features.linux.seccomp.enabled, true);
  const systemd = await root.run('--systemd-cgroup', 'list');
  assert.equal(systemd.status, 1);
  assert.match(systemd.stderr, /systemd/);
});
