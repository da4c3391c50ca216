/**
 * linux.uidMappings/gidMappings with a user namespace, new (the helper writes the maps) or joined
 * by path (the maps checked): root in the container is a mapped host id, ownership is seen through
 * the maps, and the container's root can do nothing to what the host's root owns.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot, type Config } from '../support/oci-bundle.js';
import { parseProbeReport } from '../support/probe-report.js';

const root = new OciRoot();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-userns-'));
const holders: ChildProcess[] = [];
after(async () => {
  for (const holder of holders) holder.kill('SIGKILL');
  await root.cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const SHIFT = 300000;
const mapping = (shift: number) => [{ containerID: 0, hostID: shift, size: 65536 }];

/** A config in a new user namespace mapping 0–65535 to SHIFT…, with two host directories bound in. */
function mappedConfig(): Config {
  const config = defaultConfig();
  config.linux.namespaces.push({ type: 'user' });
  config.linux.uidMappings = mapping(SHIFT);
  config.linux.gidMappings = mapping(SHIFT);
  const mine = path.join(scratch, 'mine');
  const hosts = path.join(scratch, 'hosts');
  for (const dir of [mine, hosts]) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chownSync(mine, SHIFT + 0, SHIFT + 0);
  fs.writeFileSync(path.join(mine, 'file'), 'x');
  fs.chownSync(path.join(mine, 'file'), SHIFT + 1000, SHIFT + 100);
  config.mounts.push(
    { destination: '/mine', type: 'bind', source: mine, options: ['rbind'] },
    { destination: '/hosts', type: 'bind', source: hosts, options: ['rbind'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755', 'size=1m'] },
  );
  return config;
}

test('a new user namespace: root inside is the mapped host id, ownership is seen through the maps, host root\'s files are out of reach', async () => {
  const config = mappedConfig();
  config.process.args = ['/bin/probe', '--stat', '/mine/file', '--stat', '/bin/probe', '--stat', '/tmp', '--try-write', '/mine/new', '--try-write', '/hosts/new', '--try-write', '/tmp/new'];
  const report = await root.probe('mapped', config);
  assert.equal(report.uidMap.trim().split(/\s+/).join(' '), `0 ${SHIFT} 65536`);
  assert.equal(report.gidMap.trim().split(/\s+/).join(' '), `0 ${SHIFT} 65536`);
  assert.equal(report.uid, 0);
  assert.notEqual(report.ns.user, fs.readlinkSync('/proc/self/ns/user'));
  assert.equal(report.files['/mine/file']?.uid, 1000, 'host uid SHIFT+1000 is 1000 inside');
  assert.equal(report.files['/mine/file']?.gid, 100);
  assert.equal(report.files['/bin/probe']?.uid, 65534, 'the host\'s root is not mapped: nobody');
  assert.equal(report.files['/tmp']?.uid, 0, 'a tmpfs belongs to the container\'s root (as runc mounts it from inside)');
  assert.equal(report.tries['/mine/new'], 'ok', 'its own directory');
  assert.equal(report.tries['/hosts/new'], 'EACCES', 'root inside is not root on a host-root directory');
  assert.equal(report.tries['/tmp/new'], 'ok');
  assert.equal(fs.statSync(path.join(scratch, 'mine', 'new')).uid, SHIFT, 'what it creates belongs to the host id of its root');
  // the namespaces it made are its user namespace's: root inside may set its hostname
  const owned = mappedConfig();
  owned.process.args = ['/bin/sh', '-c', 'hostname renamed-inside && hostname'];
  owned.process.capabilities = { bounding: ['CAP_SYS_ADMIN'], effective: ['CAP_SYS_ADMIN'], permitted: ['CAP_SYS_ADMIN'] };
  const renamed = await root.create('renamer', makeBundle(owned));
  assert.equal(renamed.status, 0, renamed.stderr);
  assert.equal((await root.run('start', 'renamer')).status, 0);
  await root.waitFor('renamer', 'stopped');
  assert.equal(fs.readFileSync(renamed.output, 'utf8'), 'renamed-inside\n', 'root inside holds CAP_SYS_ADMIN over its own UTS namespace');
  assert.equal((await root.run('delete', 'renamer')).status, 0);
  assert.notEqual(os.hostname(), 'renamed-inside');
});

test('the host sees the container\'s root as the mapped uid; exec joins the same user namespace', async () => {
  const pid = await root.startSleeper('sleeper', mappedConfig());
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  assert.match(status, new RegExp(`^Uid:\\s+${SHIFT}\\s+${SHIFT}\\s+${SHIFT}\\s+${SHIFT}$`, 'm'));
  assert.match(status, new RegExp(`^Gid:\\s+${SHIFT}\\s`, 'm'));
  const exec = await root.run('exec', 'sleeper', '/bin/probe');
  assert.equal(exec.status, 0, exec.stderr);
  const report = parseProbeReport(exec.stdout);
  assert.equal(report.ns.user, fs.readlinkSync(`/proc/${pid}/ns/user`));
  assert.equal(report.uid, 0);
  assert.equal(report.uidMap.trim().split(/\s+/).join(' '), `0 ${SHIFT} 65536`);
  assert.equal((await root.run('delete', '--force', 'sleeper')).status, 0);
});

/** `unshare --user sleep`: a user namespace whose maps the test writes, as a pod sandbox's. */
async function heldUserNamespace(shift: number): Promise<number> {
  const holder = spawn('unshare', ['--user', 'sleep', '120'], { stdio: 'ignore' });
  holders.push(holder);
  const pid = holder.pid!;
  for (const deadline = Date.now() + 5000; fs.readlinkSync(`/proc/${pid}/ns/user`) === fs.readlinkSync('/proc/self/ns/user'); ) {
    if (Date.now() > deadline) throw new Error('unshare did not make its user namespace');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  fs.writeFileSync(`/proc/${pid}/uid_map`, `0 ${shift} 65536\n`);
  fs.writeFileSync(`/proc/${pid}/gid_map`, `0 ${shift} 65536\n`);
  return pid;
}

test('a user namespace joined by path, its maps checked against the config\'s (containerd sends both)', async () => {
  const held = await heldUserNamespace(SHIFT);
  const config = mappedConfig();
  config.linux.namespaces = config.linux.namespaces.map((ns: { type: string }) => (ns.type === 'user' ? { type: 'user', path: `/proc/${held}/ns/user` } : ns));
  config.process.args = ['/bin/probe', '--stat', '/mine/file'];
  const report = await root.probe('joined', config);
  assert.equal(report.ns.user, fs.readlinkSync(`/proc/${held}/ns/user`));
  assert.equal(report.files['/mine/file']?.uid, 1000);

  config.linux.uidMappings = mapping(SHIFT + 65536);
  const differs = await root.create('differs', makeBundle(config));
  assert.equal(differs.status, 1);
  assert.match(differs.stderr, new RegExp(`join /proc/${held}/ns/user: its uid_map or gid_map differs`));
  assert.ok(!fs.existsSync(path.join(root.dir, 'differs')));
});

test('maps without a user namespace, and a new user namespace without maps, are refused by field', async () => {
  const noNamespace = defaultConfig();
  noNamespace.linux.uidMappings = mapping(SHIFT);
  noNamespace.linux.gidMappings = mapping(SHIFT);
  assert.match((await root.create('nons', makeBundle(noNamespace))).stderr, /linux\.uidMappings needs a user namespace/);
  const noMaps = defaultConfig();
  noMaps.linux.namespaces.push({ type: 'user' });
  assert.match((await root.create('nomaps', makeBundle(noMaps))).stderr, /linux\.uidMappings is required with a user namespace/);
  const unmapped = mappedConfig();
  unmapped.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['uid=70000'] });
  assert.match((await root.create('unmapped', makeBundle(unmapped))).stderr, /mounts\.\d+\.options "uid=70000" names an id that linux\.uidMappings does not map/);
});
