/**
 * Pods of several apps: supervision across apps, volumes, environment files, prepare and
 * run-prepared, stop, logs and --interactive, on real pods.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeOciLayout } from '../../src/image/oci-layout-writer.js';
import { busyboxLayout } from '../support/busybox-layout.js';
import { mountsUnder } from '../support/host-state.js';
import { mountAt, parseProbeReport } from '../support/probe-report.js';
import { PROBE, RKT } from '../support/project-paths.js';
import { runRkt, startRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('pods');
after(() => removeDataDir(dataDir));

const image = () => `oci:${busyboxLayout()}:latest`;
const run = (...args: string[]) => runRkt(dataDir, ['run', '--insecure-options=image', ...args]);

function uuidFile(): string {
  return path.join(dataDir, `uuid-${Math.random().toString(16).slice(2)}`);
}

function readUuid(file: string): string {
  return fs.readFileSync(file, 'utf8').trim();
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An image holding only the probe, plus `files`, with `config`. */
async function probeImage(name: string, files: Parameters<typeof writeOciLayout>[0]['layers'][number], config: object): Promise<string> {
  const dir = path.join(dataDir, 'images', name);
  await writeOciLayout({
    dir,
    tag: 'latest',
    layers: [{ files: [{ path: 'bin/', type: 'dir' }, { path: 'bin/probe', type: 'file', mode: 0o755, content: fs.readFileSync(PROBE) }] }, files],
    config: { Entrypoint: ['/bin/probe'], ...config },
  });
  return `oci:${dir}:latest`;
}

test('a three-app pod where one app exits 5: rkt exits 5, the others are stopped, every status is shown', async () => {
  const file = uuidFile();
  const started = Date.now();
  const result = await run(`--uuid-file-save=${file}`,
    image(), '--name=one', '--exec=/bin/probe', '--', 'sleep', '60', '---',
    image(), '--name=two', '--exec=/bin/sh', '--', '-c', 'sleep 0.5; exit 5', '---',
    image(), '--name=three', '--exec=/bin/probe', '--', 'sleep', '60');
  assert.equal(result.status, 5, result.stderr);
  assert.ok(Date.now() - started < 9_000, 'the other apps were stopped by SIGTERM, not left to run');
  const status = await runRkt(dataDir, ['status', readUuid(file)]);
  assert.match(status.stdout, /^app-one=143$/m);
  assert.match(status.stdout, /^app-two=5$/m);
  assert.match(status.stdout, /^app-three=143$/m);
});

test('host volumes: read-write, and read-only where a write fails with EROFS', async () => {
  const source = fs.mkdtempSync(path.join(dataDir, 'host-'));
  fs.writeFileSync(path.join(source, 'hello'), 'from the host\n');
  const result = await run(
    `--volume=rw,kind=host,source=${source}`, `--volume=ro,kind=host,source=${source},readOnly=true`,
    image(), '--mount=volume=rw,target=/mnt/rw', '--mount=volume=ro,target=/mnt/ro', '--exec=/bin/probe',
    '--', '--stat', '/mnt/ro/hello', '--try-write', '/mnt/rw/new', '--try-write', '/mnt/ro/new2',
  );
  assert.equal(result.status, 0, result.stderr);
  const report = parseProbeReport(result.stdout);
  assert.equal(report.files['/mnt/ro/hello']?.content, 'from the host\n');
  assert.equal(report.tries['/mnt/rw/new'], 'ok');
  assert.ok(fs.existsSync(path.join(source, 'new')), 'the write reached the host directory');
  assert.equal(report.tries['/mnt/ro/new2'], 'EROFS');
  assert.match(mountAt(report, '/mnt/ro').options, /(^|,)ro(,|$)/);
  assert.deepEqual(mountsUnder(source), [], 'nothing stays mounted on the host');
});

test('an empty volume is shared by two apps: one writes, the other reads', async () => {
  const result = await run('--volume=shared,kind=empty,mode=0770,uid=0,gid=0',
    image(), '--name=writer', '--mount=volume=shared,target=/out', '--exec=/bin/sh', '--', '-c', 'echo written > /out/file', '---',
    image(), '--name=reader', '--mount=volume=shared,target=/in', '--exec=/bin/sh', '--', '-c',
    'for i in 1 2 3 4 5 6 7 8 9 10; do [ -f /in/file ] && break; sleep 0.2; done; cat /in/file; stat -c %a /in');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^written$/m);
  assert.match(result.stdout, /^770$/m);
});

test('a volume whose target in the image is a symlink out of the root stays inside the root', async () => {
  // The link names a host directory by its absolute path; the image has a directory of that name
  // too. Resolved in the app's root, the mount lands on the image's; resolved on the host, it
  // would land on the host's.
  const escape = fs.mkdtempSync(path.join(dataDir, 'escape-'));
  const source = fs.mkdtempSync(path.join(dataDir, 'vol-'));
  const parts = escape.split('/').filter(Boolean);
  const dirs = parts.map((_, i) => ({ path: `${parts.slice(0, i + 1).join('/')}/`, type: 'dir' as const }));
  const ref = await probeImage('symlink-target', { files: [...dirs, { path: 'data', type: 'symlink', linkTarget: escape }] }, {});
  const result = await run(`--volume=v,kind=host,source=${source}`, ref, '--mount=volume=v,target=/data', '--', '--try-write', '/data/x');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(parseProbeReport(result.stdout).tries['/data/x'], 'ok');
  assert.ok(fs.existsSync(path.join(source, 'x')), 'the volume was mounted (inside the app root, at the link\'s target)');
  assert.deepEqual(fs.readdirSync(escape), [], 'nothing was mounted onto or written to the host path the symlink names');
  assert.deepEqual(mountsUnder(escape), []);
});

test('an image Volumes entry gets an implicit empty volume with the image content copied up', async () => {
  const ref = await probeImage('with-volume', {
    files: [{ path: 'var/', type: 'dir' }, { path: 'var/data/', type: 'dir', mode: 0o750, uid: 7, gid: 8 }, { path: 'var/data/seed', type: 'file', content: 'seeded\n' }],
  }, { Volumes: { '/var/data': {} } });
  const file = uuidFile();
  const result = await run(`--uuid-file-save=${file}`, ref, '--name=vol', '--', '--stat', '/var/data/seed', '--stat', '/var/data', '--try-write', '/var/data/new');
  assert.equal(result.status, 0, result.stderr);
  const report = parseProbeReport(result.stdout);
  assert.equal(report.files['/var/data/seed']?.content, 'seeded\n');
  assert.equal(report.tries['/var/data/new'], 'ok');
  mountAt(report, '/var/data');
  const uuid = readUuid(file);
  const volume = path.join(dataDir, 'pods', 'run', uuid, 'sharedVolumes', 'vol-var-data');
  const stat = fs.statSync(volume);
  assert.equal(stat.mode & 0o7777, 0o750, 'the image directory\'s mode is kept');
  assert.deepEqual([stat.uid, stat.gid], [7, 8], 'and its owner');
  assert.ok(fs.existsSync(path.join(volume, 'new')), 'the app wrote into the volume, not its overlay');
  const manifest = JSON.parse((await runRkt(dataDir, ['cat-manifest', uuid])).stdout) as { volumes: { name: string; kind: string }[]; apps: { mounts: unknown[] }[] };
  assert.deepEqual(manifest.volumes.map((v) => [v.name, v.kind]), [['vol-var-data', 'empty']]);
  assert.deepEqual(manifest.apps[0]?.mounts, [{ volume: 'vol-var-data', path: '/var/data' }]);
});

test('--set-env-file: values, comments, and errors that name the file and line', async () => {
  const good = path.join(dataDir, 'good.env');
  fs.writeFileSync(good, '# comment\n; also a comment\n\nFROM_FILE=1\nOVERRIDDEN=file\n');
  const result = await run(`--set-env-file=${good}`, '--set-env=OVERRIDDEN=flag', image());
  assert.equal(result.status, 0, result.stderr);
  const env = parseProbeReport(result.stdout).env;
  assert.equal(env.FROM_FILE, '1');
  assert.equal(env.OVERRIDDEN, 'flag', '--set-env wins over --set-env-file');

  const bad = path.join(dataDir, 'bad.env');
  fs.writeFileSync(bad, 'A=1\nnot an assignment\n');
  const malformed = await run(`--set-env-file=${bad}`, image());
  assert.equal(malformed.status, 254);
  assert.match(malformed.stderr, new RegExp(`--set-env-file ${bad}:2: "not an assignment" is not NAME=VALUE`));

  fs.writeFileSync(bad, 'A=1\nA=2\n');
  const duplicate = await run(`--set-env-file=${bad}`, image());
  assert.equal(duplicate.status, 254);
  assert.match(duplicate.stderr, /:2: A is set twice/);

  const missing = await run(`--set-env-file=${path.join(dataDir, 'nope.env')}`, image());
  assert.equal(missing.status, 254);
  assert.match(missing.stderr, /cannot read --set-env-file/);
});

test('--inherit-env passes rkt\'s environment but never overrides the image\'s values', async () => {
  const ref = await probeImage('with-env', { files: [] }, { Env: ['IMAGE_VAR=image'] });
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', '--inherit-env', ref], {
    env: { ...process.env, FROM_HOST: 'yes', IMAGE_VAR: 'host' },
  });
  assert.equal(result.status, 0, result.stderr);
  const env = parseProbeReport(result.stdout).env;
  assert.equal(env.FROM_HOST, 'yes');
  assert.equal(env.IMAGE_VAR, 'image', 'the image\'s value wins over the inherited one');
  const without = parseProbeReport((await runRkt(dataDir, ['run', '--insecure-options=image', ref], { env: { ...process.env, FROM_HOST: 'yes' } })).stdout);
  assert.equal(without.env.FROM_HOST, undefined, 'nothing is inherited without the flag');
});

test('stop ends a pod whose app ignores SIGTERM: SIGKILL after the timeout', async () => {
  const file = uuidFile();
  const child = startRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${file}`, image(), '--exec=/bin/probe', '--', 'ignore-term', 'sleep', '60']);
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(() => stderr.includes('probe: ready'), 'the probe to start');
  const uuid = readUuid(file);
  const started = Date.now();
  const stop = await runRkt(dataDir, ['stop', '--timeout=1s', uuid]);
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(stop.stdout, `"${uuid}"\n`);
  assert.equal(await closed, 128 + 9, 'the pod was killed');
  assert.ok(Date.now() - started < 8_000);
  const again = await runRkt(dataDir, ['stop', uuid]);
  assert.equal(again.status, 0, 'an already stopped pod is a notice, not an error');
  assert.match(again.stderr, /is not running/);
});

test('stop of a pod whose app takes SIGTERM, and --force', async () => {
  for (const force of [false, true]) {
    const file = uuidFile();
    const child = startRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${file}`, image(), '--exec=/bin/probe', '--', 'sleep', '60']);
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes('probe: ready'), 'the probe to start');
    const stop = await runRkt(dataDir, ['stop', ...(force ? ['--force'] : []), `--uuid-file=${file}`]);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(await closed, force ? 137 : 143);
  }
});

test('prepare then run-prepared; run-prepared of a pod that is not prepared fails clearly', async () => {
  const prepare = await runRkt(dataDir, ['prepare', '--quiet', '--insecure-options=image', image(), '--exec=/bin/sh', '--', '-c', 'echo "prepared $AC_APP_NAME"; exit 3']);
  assert.equal(prepare.status, 0, prepare.stderr);
  assert.equal(prepare.stderr, '');
  const uuid = prepare.stdout.trim();
  assert.match(uuid, /^[0-9a-f-]{36}$/);
  assert.ok(fs.existsSync(path.join(dataDir, 'pods', 'prepared', uuid)));
  assert.match((await runRkt(dataDir, ['status', uuid])).stdout, /^state=prepared$/m);

  const started = await runRkt(dataDir, ['run-prepared', '--hostname=later', uuid]);
  assert.equal(started.status, 3, started.stderr);
  assert.equal(started.stdout, 'prepared busybox\n');
  assert.match((await runRkt(dataDir, ['status', uuid])).stdout, /^app-busybox=3$/m);

  const again = await runRkt(dataDir, ['run-prepared', uuid]);
  assert.equal(again.status, 254);
  assert.match(again.stderr, /is exited, not prepared/);
});

test('logs: stdout and stderr kept apart, bounded by rotation, and rkt logs reads them', async () => {
  const file = uuidFile();
  const result = await run(`--uuid-file-save=${file}`, image(), '--exec=/bin/sh', '--', '-c',
    'echo to-stderr >&2; head -c 2500000 /dev/zero | tr "\\0" a; echo; echo last-line');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /last-line\n$/, 'the output also reached rkt\'s own stdout');
  assert.match(result.stderr, /to-stderr/);
  const uuid = readUuid(file);
  const logs = path.join(dataDir, 'pods', 'run', uuid, 'logs', 'busybox');
  assert.equal(fs.readFileSync(path.join(logs, 'stderr'), 'utf8'), 'to-stderr\n');
  const max = 1024 * 1024;
  assert.ok(fs.statSync(path.join(logs, 'stdout')).size <= max);
  assert.equal(fs.statSync(path.join(logs, 'stdout.1')).size, max, 'rotated once at the bound');
  assert.match(fs.readFileSync(path.join(logs, 'stdout'), 'utf8'), /last-line\n$/);

  const errOnly = await runRkt(dataDir, ['logs', '--stream=stderr', uuid]);
  assert.equal(errOnly.status, 0, errOnly.stderr);
  assert.equal(errOnly.stderr, 'to-stderr\n');
  assert.equal(errOnly.stdout, '');
  const all = await runRkt(dataDir, ['logs', uuid]);
  assert.equal(all.stdout.length, fs.statSync(path.join(logs, 'stdout')).size + max, 'the rotated file, then the current one');
});

test('logs --follow prints output as it comes and ends when the pod exits', async () => {
  const file = uuidFile();
  const child = startRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${file}`, image(), '--exec=/bin/sh', '--', '-c', 'echo first; sleep 1; echo second']);
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').length > 0, 'the uuid');
  const follow = await runRkt(dataDir, ['logs', '--follow', readUuid(file)]);
  assert.equal(follow.status, 0, follow.stderr);
  assert.equal(follow.stdout, 'first\nsecond\n');
  assert.equal(await closed, 0);
});

test('--interactive: the app gets the terminal, and typing into the pod works', async () => {
  // python3's pty module gives rkt a real terminal as its controlling tty, as a shell would.
  const script = [
    'import os, pty, sys, select, time',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    os.execv(sys.argv[1], sys.argv[1:])',
    'out = b""',
    'sent = False',
    'while True:',
    '    r, _, _ = select.select([fd], [], [], 20)',
    '    if not r: break',
    '    try: data = os.read(fd, 1024)',
    '    except OSError: break',
    '    if not data: break',
    '    out += data',
    '    if not sent and b"ready" in out:',
    '        os.write(fd, b"typed-in\\n"); sent = True',
    '_, status = os.waitpid(pid, 0)',
    'sys.stdout.write(out.decode(errors="replace"))',
    'sys.exit(os.waitstatus_to_exitcode(status))',
  ].join('\n');
  const result = spawnSync('python3', ['-c', script, RKT, `--dir=${dataDir}`, 'run', '--insecure-options=image', '--interactive', image(),
    '--exec=/bin/sh', '--', '-c', 'test -t 0 && echo stdin-is-a-tty; echo ready; read line; echo "got:$line"; exit 4'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 4, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /stdin-is-a-tty/);
  assert.match(result.stdout, /got:typed-in/);

  const two = await run('--interactive', image(), image(), '--name=second');
  assert.equal(two.status, 254);
  assert.match(two.stderr, /--interactive needs a pod with exactly one app/);
});

test('--readonly-rootfs, --supplementary-gids, a file volume, and annotations in the manifest', async () => {
  const file = uuidFile();
  const hostFile = path.join(dataDir, 'one-file');
  fs.writeFileSync(hostFile, 'just a file\n');
  const result = await run(`--uuid-file-save=${file}`, `--volume=f,kind=host,source=${hostFile}`,
    image(), '--exec=/bin/probe', '--readonly-rootfs', '--supplementary-gids=10,20', '--mount=volume=f,target=/etc/one-file',
    '--annotation=note=hello', '--user-label=team=pods',
    '--', '--try-write', '/new', '--try-write', '/proc/self/comm', '--stat', '/etc/one-file');
  assert.equal(result.status, 0, result.stderr);
  const report = parseProbeReport(result.stdout);
  assert.equal(report.tries['/new'], 'EROFS');
  assert.equal(report.files['/etc/one-file']?.content, 'just a file\n');
  assert.deepEqual(report.groups, [10, 20]);
  const manifest = JSON.parse((await runRkt(dataDir, ['cat-manifest', readUuid(file)])).stdout) as {
    apps: { readOnlyRootFS?: boolean; annotations: unknown[]; userLabels?: unknown; app: { supplementaryGIDs?: number[] } }[];
  };
  assert.equal(manifest.apps[0]?.readOnlyRootFS, true);
  assert.deepEqual(manifest.apps[0]?.annotations, [{ name: 'note', value: 'hello' }]);
  assert.deepEqual(manifest.apps[0]?.userLabels, { team: 'pods' });
  assert.deepEqual(manifest.apps[0]?.app.supplementaryGIDs, [10, 20]);
});

test('mount errors: an unknown volume, overlapping targets, a missing host source', async () => {
  const unknown = await run(image(), '--mount=volume=nope,target=/x');
  assert.equal(unknown.status, 254);
  assert.match(unknown.stderr, /names volume "nope", which the pod does not have/);
  const overlap = await run('--volume=a,kind=empty', '--volume=b,kind=empty', image(), '--mount=volume=a,target=/x', '--mount=volume=b,target=/x/y');
  assert.equal(overlap.status, 254);
  assert.match(overlap.stderr, /overlap/);
  const missing = await run('--volume=a,kind=host,source=/nonexistent/dir', image(), '--mount=volume=a,target=/x');
  assert.equal(missing.status, 254);
  assert.match(missing.stderr, /does not exist/);
});

before(() => {
  busyboxLayout();
});
