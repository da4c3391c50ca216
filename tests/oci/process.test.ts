/** process.user.umask, HOME from the container's passwd, seccomp without noNewPrivileges (create and exec), and hook failures. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot } from '../support/oci-bundle.js';
import { parseProbeReport } from '../support/probe-report.js';

const root = new OciRoot();
after(() => root.cleanup());

test('process.user.umask is the program\'s umask; one above 0777 is refused by field name', async () => {
  const config = defaultConfig();
  config.process.user.umask = 0o027;
  config.process.args = ['/bin/probe', '--stat', '/proc/self/status'];
  const report = await root.probe('umask', config);
  assert.match(report.files['/proc/self/status']?.content ?? '', /^Umask:\s+0027$/m);

  config.process.user.umask = 0o1777;
  const result = await root.create('bad-umask', makeBundle(config));
  assert.equal(result.status, 1);
  assert.match(result.stderr, /process\.user\.umask/);
});

test('seccomp without noNewPrivileges and without CAP_SYS_ADMIN: loaded before the capabilities drop (as runc), for exec too', async () => {
  const config = defaultConfig();
  config.process.noNewPrivileges = false;
  config.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 95 }] };
  config.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  config.process.args = ['/bin/probe', 'sleep', '30'];
  const created = await root.create('nnp-off', makeBundle(config));
  assert.equal(created.status, 0, created.stderr);
  assert.equal((await root.run('start', 'nnp-off')).status, 0);
  const { pid } = await root.waitFor('nnp-off', 'running');
  const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  assert.match(status, /^Seccomp:\s+2$/m, 'the container\'s own process is filtered');
  assert.match(status, /^NoNewPrivs:\s+0$/m);
  const exec = await root.run('exec', 'nnp-off', '/bin/probe', '--try', 'mkdir');
  assert.equal(exec.status, 0, exec.stderr);
  const entered = parseProbeReport(exec.stdout);
  assert.equal((await root.run('delete', '--force', 'nnp-off')).status, 0);
  assert.equal(entered.seccomp, 2);
  assert.equal(entered.noNewPrivs, 0);
  assert.equal(entered.actions.mkdir, 'EOPNOTSUPP');
  assert.equal(BigInt(`0x${entered.caps.CapEff}`) & (1n << 21n), 0n, 'no CAP_SYS_ADMIN');
});

test('a failing poststart or poststop hook is a warning, and the hooks after it still run', async () => {
  const config = defaultConfig();
  config.process.args = ['/bin/true'];
  const bundle = makeBundle(config);
  const ran = path.join(bundle, 'ran');
  const append = (what: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${what} >> ${ran}`] });
  config.hooks = { poststart: [{ path: '/bin/false' }, append('poststart')], poststop: [{ path: '/bin/false' }, append('poststop')] };
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
  assert.equal((await root.create('hooks', bundle)).status, 0);
  const start = await root.run('start', 'hooks');
  assert.equal(start.status, 0);
  assert.match(start.stderr, /poststart hook \/bin\/false failed: exit status 1/);
  await root.waitFor('hooks', 'stopped');
  const deleted = await root.run('delete', 'hooks');
  assert.equal(deleted.status, 0);
  assert.match(deleted.stderr, /poststop hook \/bin\/false failed: exit status 1/);
  assert.equal(fs.readFileSync(ran, 'utf8'), 'poststart\npoststop\n');
});

test('a hook that exits 0 without reading the state from stdin succeeds, however large the state', async () => {
  const config = defaultConfig();
  config.process.args = ['/bin/true'];
  // more than a pipe holds: writing the state fails with EPIPE once /bin/true has exited
  config.annotations = { 'org.example.large': 'x'.repeat(256 * 1024) };
  config.hooks = { createRuntime: [{ path: '/bin/true' }] };
  const created = await root.create('epipe', makeBundle(config));
  assert.equal(created.status, 0, created.stderr);
  assert.equal((await root.run('delete', 'epipe')).status, 0);
});

test('without HOME in process.env, HOME is the user\'s home in the container\'s /etc/passwd, or /; a HOME given is kept (as runc)', async () => {
  const home = async (id: string, edit: (config: ReturnType<typeof defaultConfig>) => void) => {
    const config = defaultConfig();
    config.process.env = ['PATH=/bin'];
    config.process.args = ['/bin/sh', '-c', 'echo "$HOME"'];
    edit(config);
    const created = await root.create(id, makeBundle(config));
    assert.equal(created.status, 0, created.stderr);
    assert.equal((await root.run('start', id)).status, 0);
    await root.waitFor(id, 'stopped');
    const output = fs.readFileSync(created.output, 'utf8');
    assert.equal((await root.run('delete', id)).status, 0);
    return output.trim();
  };
  assert.equal(await home('home-root', () => {}), '/root');
  assert.equal(await home('home-nobody', (c) => (c.process.user = { uid: 65534, gid: 65534 })), '/nonexistent');
  assert.equal(await home('home-unknown', (c) => (c.process.user = { uid: 4321, gid: 4321 })), '/', 'a uid the file lacks');
  assert.equal(await home('home-given', (c) => c.process.env.push('HOME=/given')), '/given');
  // The file is read inside the container and never through a symlink: a passwd that is one counts as none.
  const rootfs = fs.mkdtempSync(path.join(root.dir, 'rootfs-'));
  execFileSync('cp', ['-a', `${defaultConfig().root.path}/.`, rootfs]);
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd.real'), 'root:x:0:0:root:/through-a-symlink:/bin/sh\n');
  fs.rmSync(path.join(rootfs, 'etc', 'passwd'));
  fs.symlinkSync('passwd.real', path.join(rootfs, 'etc', 'passwd'));
  assert.equal(await home('home-symlink', (c) => (c.root = { path: rootfs, readonly: true })), '/');

  // exec: the same rule for the process it adds
  const config = defaultConfig();
  config.process.args = ['/bin/probe', 'sleep', '30'];
  assert.equal((await root.create('home-exec', makeBundle(config))).status, 0);
  assert.equal((await root.run('start', 'home-exec')).status, 0);
  await root.waitFor('home-exec', 'running');
  const exec = await root.run('exec', '--env', 'PATH=/bin', '--user', '65534:65534', 'home-exec', '/bin/sh', '-c', 'echo "$HOME"');
  assert.equal(exec.status, 0, exec.stderr);
  assert.equal(exec.stdout.trim(), '/nonexistent');
  assert.equal((await root.run('delete', '--force', 'home-exec')).status, 0);
});
