/** Device nodes, mount propagation and unbindable mounts, seen from inside the container. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot } from '../support/oci-bundle.js';
import { parseProbeReport, type ProbeReport } from '../support/probe-report.js';

const root = new OciRoot();
after(() => root.cleanup());

/** The optional fields of the /proc/self/mountinfo line for `target` (`shared:N`, `master:N`, `unbindable`). */
function propagationOf(mountinfo: string, target: string): string[] {
  const line = mountinfo.split('\n').find((text) => text.split(' ')[4] === target);
  assert.ok(line, `no mount at ${target} in:\n${mountinfo}`);
  const fields = line.split(' ');
  return fields.slice(6, fields.indexOf('-'));
}

test('linux.devices are made with mknod: a node the host lacks, its mode and owner, a FIFO; runc defaults stay', async () => {
  const config = defaultConfig();
  config.linux.devices = [
    { path: '/dev/rkt-test-node', type: 'c', major: 10, minor: 666, fileMode: 0o640, uid: 1000, gid: 1001 },
    { path: '/dev/sub/blockish', type: 'b', major: 7, minor: 200 },
    { path: '/dev/rkt-fifo', type: 'p', fileMode: 0o600 },
  ];
  config.process.args = ['/bin/probe', '--stat', '/dev/rkt-test-node', '--stat', '/dev/sub/blockish', '--stat', '/dev/rkt-fifo', '--stat', '/dev/null'];
  const report = await root.probe('nodes', config);
  assert.deepEqual(report.files['/dev/rkt-test-node'], { exists: true, type: 'char', mode: '0640', uid: 1000, gid: 1001, major: 10, minor: 666 });
  assert.deepEqual(report.files['/dev/sub/blockish'], { exists: true, type: 'block', mode: '0666', uid: 0, gid: 0, major: 7, minor: 200 }, 'runc\'s default mode 0666, owner root');
  assert.equal(report.files['/dev/rkt-fifo']?.type, 'fifo');
  assert.equal(report.files['/dev/rkt-fifo']?.mode, '0600');
  assert.equal(report.files['/dev/null']?.type, 'char');
});

test('a device entry with a bad type or a missing number is refused by field name', async () => {
  for (const [device, field] of [
    [{ path: '/dev/x', type: 'z', major: 1, minor: 1 }, /linux\.devices\.0\.type/],
    [{ path: '/dev/x', type: 'c', minor: 1 }, /linux\.devices\.0\.major/],
    [{ path: 'dev/x', type: 'c', major: 1, minor: 1 }, /linux\.devices\.0\.path/],
  ] as const) {
    const config = defaultConfig();
    config.linux.devices = [device];
    const result = await root.create('bad-device', makeBundle(config));
    assert.equal(result.status, 1);
    assert.match(result.stderr, field);
  }
});

test('linux.rootfsPropagation: a slave root receives a host mount made after start; private and shared ones do not', async () => {
  // the rootfs on a shared mount of its own, so that the host side has a peer group to follow
  const hostSide = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-shared-root-'));
  execFileSync('mount', ['--bind', defaultConfig().root.path, hostSide]);
  try {
    execFileSync('mount', ['--make-shared', hostSide]);
    fs.mkdirSync(path.join(hostSide, 'propagation'), { recursive: true });
    const modes = ['rslave', 'private', 'shared'];
    for (const mode of modes) {
      const config = defaultConfig();
      config.root.path = hostSide;
      config.linux.rootfsPropagation = mode;
      config.process.args = ['/bin/probe', 'sleep', '60'];
      assert.equal((await root.create(`prop-${mode}`, makeBundle(config))).status, 0);
      assert.equal((await root.run('start', `prop-${mode}`)).status, 0);
    }
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', path.join(hostSide, 'propagation')]);
    try {
      fs.writeFileSync(path.join(hostSide, 'propagation', 'marker'), 'from the host\n');
      const seen: Record<string, ProbeReport> = {};
      for (const mode of modes) {
        const exec = await root.run('exec', `prop-${mode}`, '/bin/probe', '--stat', '/propagation/marker', '--stat', '/proc/self/mountinfo');
        assert.equal(exec.status, 0, exec.stderr);
        seen[mode] = parseProbeReport(exec.stdout);
        assert.equal((await root.run('delete', '--force', `prop-${mode}`)).status, 0);
      }
      assert.equal(seen.rslave!.files['/propagation/marker']?.content, 'from the host\n');
      assert.ok(propagationOf(seen.rslave!.files['/proc/self/mountinfo']?.content ?? '', '/').some((field) => field.startsWith('master:')));
      assert.equal(seen.private!.files['/propagation/marker']?.exists, false);
      assert.deepEqual(propagationOf(seen.private!.files['/proc/self/mountinfo']?.content ?? '', '/'), []);
      // shared within the container (a peer group of its own), cut from the host's
      assert.equal(seen.shared!.files['/propagation/marker']?.exists, false);
      const shared = propagationOf(seen.shared!.files['/proc/self/mountinfo']?.content ?? '', '/');
      assert.ok(shared.some((field) => field.startsWith('shared:')) && !shared.some((field) => field.startsWith('master:')), shared.join(' '));
    } finally {
      execFileSync('umount', [path.join(hostSide, 'propagation')]);
    }
  } finally {
    execFileSync('umount', ['-l', hostSide]);
    fs.rmdirSync(hostSide);
  }
});

test('linux.rootfsPropagation unbindable: "/" cannot be bound elsewhere', async () => {
  const config = defaultConfig();
  config.linux.rootfsPropagation = 'unbindable';
  config.process.args = ['/bin/probe', '--stat', '/proc/self/mountinfo'];
  const report = await root.probe('prop-unbindable', config);
  assert.ok(propagationOf(report.files['/proc/self/mountinfo']?.content ?? '', '/').includes('unbindable'));
});

test('an unknown rootfsPropagation is refused by field name', async () => {
  const config = defaultConfig();
  config.linux.rootfsPropagation = 'sideways';
  const result = await root.create('bad-prop', makeBundle(config));
  assert.equal(result.status, 1);
  assert.match(result.stderr, /linux\.rootfsPropagation/);
});

test('mount options unbindable and runbindable', async () => {
  const config = defaultConfig();
  config.mounts.push(
    { destination: '/mnt/u', type: 'tmpfs', source: 'tmpfs', options: ['unbindable'] },
    { destination: '/mnt/ru', type: 'bind', source: '/etc', options: ['rbind', 'runbindable'] },
  );
  config.process.args = ['/bin/probe', '--stat', '/proc/self/mountinfo'];
  const report = await root.probe('unbindable', config);
  const mountinfo = report.files['/proc/self/mountinfo']?.content ?? '';
  assert.ok(propagationOf(mountinfo, '/mnt/u').includes('unbindable'));
  assert.ok(propagationOf(mountinfo, '/mnt/ru').includes('unbindable'));
});

test('a new cgroup namespace: /proc/self/cgroup shows the container\'s groups as "/", for exec too', async () => {
  const config = defaultConfig();
  config.linux.namespaces.push({ type: 'cgroup' });
  config.linux.cgroupsPath = `/rkt-oci-cgns-${process.pid}`;
  config.process.args = ['/bin/probe', 'sleep', '30'];
  const created = await root.create('cgns', makeBundle(config));
  assert.equal(created.status, 0, created.stderr);
  assert.equal((await root.run('start', 'cgns')).status, 0);
  const { pid } = await root.waitFor('cgns', 'running');
  assert.notEqual(fs.readlinkSync(`/proc/${String(pid)}/ns/cgroup`), fs.readlinkSync('/proc/self/ns/cgroup'));
  assert.match(fs.readFileSync(`/proc/${String(pid)}/cgroup`, 'utf8'), new RegExp(`:memory:/rkt-oci-cgns-${process.pid}$`, 'm'), 'seen from the host: the real path');
  const exec = await root.run('exec', 'cgns', '/bin/probe');
  assert.equal(exec.status, 0, exec.stderr);
  assert.match(parseProbeReport(exec.stdout).cgroup, /:memory:\/$/m, 'seen from inside: the namespace\'s root');
  assert.equal((await root.run('delete', '--force', 'cgns')).status, 0);
});
