/**
 * A real OCI image layout built the way users build them, with umoci, holding busybox-static and
 * the test probe. Built once per test process and reused by every test in it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROBE } from './project-paths.js';

let built: string | undefined;

/**
 * Fills `rootfs` with busybox-static: /bin/busybox and a symlink per applet, and an /etc/passwd and
 * /etc/group with root and nobody.
 */
export function populateBusyboxRootfs(rootfs: string): void {
  const bin = path.join(rootfs, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n');
  // `busybox --list` names busybox itself; linking it would replace the binary with a loop.
  for (const applet of applets) if (applet !== '' && applet !== 'busybox') fs.symlinkSync('busybox', path.join(bin, applet));
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
}

function umoci(...args: string[]): void {
  execFileSync('umoci', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Returns the layout directory. Tags: `latest` (Cmd: /bin/probe), `exit3`
 * (Cmd: /bin/sh -c 'exit 3') and `httpd` (busybox httpd serving /www on port 80, which it
 * declares as ExposedPorts 80/tcp). All run as root with WorkingDir /.
 */
export function busyboxLayout(): string {
  if (built) return built;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-test-image-'));
  const layout = path.join(base, 'busybox');
  const bundle = path.join(base, 'bundle');
  umoci('init', '--layout', layout);
  umoci('new', '--image', `${layout}:base`);
  umoci('unpack', '--image', `${layout}:base`, bundle);
  populateBusyboxRootfs(path.join(bundle, 'rootfs'));
  const bin = path.join(bundle, 'rootfs', 'bin');
  fs.copyFileSync(PROBE, path.join(bin, 'probe'));
  fs.chmodSync(path.join(bin, 'probe'), 0o755);
  umoci('repack', '--image', `${layout}:latest`, bundle);
  umoci('config', '--image', `${layout}:latest`, '--config.cmd', '/bin/probe');
  umoci('repack', '--image', `${layout}:exit3`, bundle);
  umoci('config', '--image', `${layout}:exit3`, '--config.cmd', '/bin/sh', '--config.cmd', '-c', '--config.cmd', 'exit 3');
  fs.mkdirSync(path.join(bundle, 'rootfs', 'www'));
  fs.writeFileSync(path.join(bundle, 'rootfs', 'www', 'index.html'), 'hello from a pod\n');
  umoci('repack', '--image', `${layout}:httpd`, bundle);
  umoci('config', '--image', `${layout}:httpd`, '--config.exposedports', '80/tcp', '--config.cmd', '/bin/httpd', '--config.cmd', '-f', '--config.cmd', '-p', '--config.cmd', '80', '--config.cmd', '-h', '--config.cmd', '/www');
  fs.rmSync(bundle, { recursive: true, force: true });
  process.on('exit', () => fs.rmSync(base, { recursive: true, force: true }));
  built = layout;
  return layout;
}
