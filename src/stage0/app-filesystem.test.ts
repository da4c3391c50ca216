import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findStage1Helper } from '../stage1/helper-binary.js';
import { serializePlan, type MountStep, type PodStep } from '../stage1/stage1-plan.js';
import { appFilesystemSteps, type AppFilesystemInput } from './app-filesystem.js';

const APP_ROOT = '/opt/stage2/web/rootfs';

function input(overrides: Partial<AppFilesystemInput> = {}): AppFilesystemInput {
  return {
    appRoot: APP_ROOT,
    layerDirs: ['/store/layers/bottom', '/store/layers/middle', '/store/layers/top'],
    upperDir: '/pods/p/overlay/web/upper',
    workDir: '/pods/p/overlay/web/work',
    etcFiles: [
      { name: 'hostname', source: '/pods/p/etc/hostname' },
      { name: 'hosts', source: '/pods/p/etc/hosts' },
      { name: 'resolv.conf', source: '/pods/p/etc/resolv.conf' },
    ],
    workingDirectory: '/srv/app',
    ...overrides,
  };
}

const mounts = (steps: PodStep[]): MountStep[] => steps.filter((step): step is MountStep => step.kind === 'mount');

/** The `in-root` directory in force at each step. */
function rootAt(steps: PodStep[]): string[] {
  let root = '/';
  return steps.map((step) => {
    if (step.kind === 'in-root') root = step.path;
    return root;
  });
}

describe('appFilesystemSteps', () => {
  it('creates the app root in the pod root and mounts the overlay there, lowerdir top-first', () => {
    const steps = appFilesystemSteps(input());
    assert.deepEqual(steps.slice(0, 4), [
      { kind: 'in-root', path: '/' },
      { kind: 'mkdir', path: APP_ROOT, mode: 0o755 },
      {
        kind: 'mount',
        source: 'overlay',
        target: APP_ROOT,
        fstype: 'overlay',
        flags: [],
        data: 'lowerdir=/store/layers/top:/store/layers/middle:/store/layers/bottom,upperdir=/pods/p/overlay/web/upper,workdir=/pods/p/overlay/web/work',
        options: [],
      },
      { kind: 'in-root', path: APP_ROOT },
    ]);
  });

  it('does not reorder the caller\'s layer list', () => {
    const layers = ['/l/1', '/l/2'];
    appFilesystemSteps(input({ layerDirs: layers }));
    assert.deepEqual(layers, ['/l/1', '/l/2']);
  });

  it('handles a single layer', () => {
    const overlay = mounts(appFilesystemSteps(input({ layerDirs: ['/only'] })))[0]!;
    assert.match(overlay.data ?? '', /^lowerdir=\/only,upperdir=/);
  });

  it('resolves every step after the overlay inside the app\'s own root', () => {
    const steps = appFilesystemSteps(input());
    const roots = rootAt(steps);
    const overlayIndex = steps.findIndex((step) => step.kind === 'mount' && step.fstype === 'overlay');
    for (let i = overlayIndex + 1; i < steps.length; i++) assert.equal(roots[i], APP_ROOT, JSON.stringify(steps[i]));
  });

  it('mounts /proc, /sys and /dev (and everything in /dev) with nofollow', () => {
    const byTarget = new Map(mounts(appFilesystemSteps(input())).map((m) => [m.target, m]));
    for (const target of ['/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']) {
      const mount = byTarget.get(target);
      assert.ok(mount, `${target} is mounted`);
      assert.ok(mount.options.includes('nofollow'), `${target} is mounted nofollow`);
    }
    assert.equal(byTarget.get('/proc')!.fstype, 'proc');
    assert.ok(byTarget.get('/sys')!.flags.includes('ro'), '/sys is read-only');
    assert.deepEqual(byTarget.get('/dev/null')!.flags, ['bind']);
    assert.ok(byTarget.get('/dev/null')!.options.includes('mkfile'));
  });

  it('masks files with /dev/null, directories with a read-only tmpfs, and binds read-only paths onto themselves', () => {
    const steps = mounts(appFilesystemSteps(input({
      protectedPaths: { masked: [{ path: '/proc/kcore', kind: 'file' }, { path: '/proc/acpi', kind: 'dir' }], readOnly: ['/proc/sys'] },
    })));
    const at = (target: string) => steps.find((m) => m.target === target)!;
    assert.deepEqual(at('/proc/kcore'), { kind: 'mount', source: '/dev/null', target: '/proc/kcore', flags: ['bind'], options: ['optional', 'nofollow'] });
    assert.equal(at('/proc/acpi').fstype, 'tmpfs');
    assert.ok(at('/proc/acpi').flags.includes('ro'));
    assert.deepEqual(at('/proc/sys').options, ['self', 'optional', 'nofollow']);
    assert.ok(at('/proc/sys').flags.includes('ro') && at('/proc/sys').flags.includes('bind'));
    const targets = steps.map((m) => m.target);
    assert.ok(targets.indexOf('/proc/kcore') > targets.indexOf('/proc'), 'masks go on top of /proc');
  });

  it('leaves masked and read-only paths alone without protectedPaths (--insecure-options=paths)', () => {
    const targets = mounts(appFilesystemSteps(input())).map((m) => m.target);
    assert.ok(!targets.includes('/proc/sys'));
  });

  it('shows v1 cgroups per controller on a tmpfs made read-only last, v2 as one read-only bind', () => {
    const v1 = mounts(appFilesystemSteps(input({ cgroupViews: [{ name: 'pids', dir: '/sys/fs/cgroup/pids/rkt-x/web' }] })));
    const cg = v1.filter((m) => m.target.startsWith('/sys/fs/cgroup'));
    assert.deepEqual(cg.map((m) => [m.target, m.source ?? '-']), [
      ['/sys/fs/cgroup', 'tmpfs'], ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/pids/rkt-x/web'], ['/sys/fs/cgroup', '-'],
    ]);
    assert.ok(cg[1]!.flags.includes('ro') && cg[2]!.flags.includes('remount') && cg[2]!.flags.includes('ro'));
    const v2 = mounts(appFilesystemSteps(input({ cgroupViews: [{ name: '', dir: '/sys/fs/cgroup/rkt/x/web' }] })));
    const only = v2.filter((m) => m.target.startsWith('/sys/fs/cgroup'));
    assert.equal(only.length, 1);
    assert.deepEqual(only[0]!.flags, ['bind', 'ro', 'nosuid', 'nodev', 'noexec']);
  });

  it('mounts /dev before the nodes, /dev/pts and /dev/shm inside it', () => {
    const targets = mounts(appFilesystemSteps(input())).map((m) => m.target);
    const dev = targets.indexOf('/dev');
    for (const inside of ['/dev/null', '/dev/pts', '/dev/shm']) assert.ok(targets.indexOf(inside) > dev, inside);
  });

  it('links /dev/ptmx to the pod\'s own devpts and the standard fd links to /proc/self', () => {
    const links = appFilesystemSteps(input()).filter((step) => step.kind === 'symlink');
    assert.deepEqual(
      links.map((link) => [link.linkPath, link.target]),
      [
        ['/dev/ptmx', 'pts/ptmx'],
        ['/dev/fd', '/proc/self/fd'],
        ['/dev/stdin', '/proc/self/fd/0'],
        ['/dev/stdout', '/proc/self/fd/1'],
        ['/dev/stderr', '/proc/self/fd/2'],
        ['/dev/core', '/proc/kcore'],
      ],
    );
  });

  it('binds the pod\'s etc files read-only onto /etc/<name>', () => {
    const etc = mounts(appFilesystemSteps(input())).filter((m) => m.target.startsWith('/etc/'));
    assert.deepEqual(
      etc.map((m) => [m.source, m.target]),
      [
        ['/pods/p/etc/hostname', '/etc/hostname'],
        ['/pods/p/etc/hosts', '/etc/hosts'],
        ['/pods/p/etc/resolv.conf', '/etc/resolv.conf'],
      ],
    );
    for (const m of etc) {
      assert.ok(m.flags.includes('bind') && m.flags.includes('ro'), `${m.target}: ${m.flags.join(',')}`);
      assert.ok(m.options.includes('mkfile'), m.target);
      assert.equal(m.fstype, undefined);
    }
  });

  it('binds no etc file when none is given', () => {
    assert.equal(mounts(appFilesystemSteps(input({ etcFiles: [] }))).filter((m) => m.target.startsWith('/etc/')).length, 0);
  });

  it('gives every app a world-writable, sticky /tmp inside its root', () => {
    const steps = appFilesystemSteps(input());
    const index = steps.findIndex((step) => step.kind === 'mkdir' && step.path === '/tmp');
    assert.ok(index > 0, 'a /tmp step');
    assert.deepEqual(steps[index], { kind: 'mkdir', path: '/tmp', mode: 0o1777 });
    assert.equal(rootAt(steps)[index], APP_ROOT);
  });

  it('ends by creating the working directory inside the app root', () => {
    const steps = appFilesystemSteps(input({ workingDirectory: '/home/app' }));
    assert.deepEqual(steps.at(-1), { kind: 'mkdir', path: '/home/app', mode: 0o755 });
    assert.equal(rootAt(steps).at(-1), APP_ROOT);
  });
});

describe('appFilesystemSteps in a plan the real stage1 helper reads', () => {
  const base = mkdtempSync(join(tmpdir(), 'rkt-appfs-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  it('is accepted line by line: the helper only stops at its whole-plan check', () => {
    const errorFile = join(base, 'error.json');
    const planFile = join(base, 'plan');
    const text = serializePlan({
      podDir: base,
      lockFd: 3,
      errorFile,
      statusDir: base,
      // Without "mount" the helper refuses the plan once parsed: it never touches anything.
      namespaces: ['pid', 'uts', 'ipc'],
      hostname: 'rkt-test',
      root: base,
      steps: appFilesystemSteps(input()),
      apps: [{ name: 'web', root: APP_ROOT, exec: '/bin/sh', argv: ['sh'], env: [], cwd: '/srv/app', uid: 0, gid: 0, groups: [] }],
    });
    writeFileSync(planFile, text);
    const result = spawnSync(findStage1Helper(), ['run', planFile], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 254, result.stderr);
    const error = JSON.parse(readFileSync(errorFile, 'utf8')) as { what: string; path: string; message: string };
    assert.equal(error.what, 'plan');
    assert.equal(error.path, planFile, `a line of the plan was refused: ${error.message}`);
    assert.match(error.message, /namespaces must include mount/);
  });
});
