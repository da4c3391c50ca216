/**
 * `rkt run --pod-manifest` and `rkt prepare --pod-manifest` with manifests written here (image IDs
 * from `rkt fetch`), the flags rkt refused next to it, and `--mount` before the first image.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('pod-manifest');
after(() => removeDataDir(dataDir));

const image = () => `oci:${busyboxLayout()}:latest`;
let imageId = '';

before(async () => {
  const fetched = await runRkt(dataDir, ['fetch', '--full', '--insecure-options=image', image()]);
  assert.equal(fetched.status, 0, fetched.stderr);
  imageId = fetched.stdout.trim();
  assert.match(imageId, /^sha256-[0-9a-f]{64}$/);
});

function writeManifest(name: string, manifest: object): string {
  const file = path.join(dataDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return file;
}

const podManifest = (apps: object[], extra: object = {}) => ({ acKind: 'PodManifest', acVersion: '0.8.11', apps, ...extra });

test('run --pod-manifest: apps by ID and by name, with exec, user, group, env, working directory, volumes and annotations', async () => {
  const hostDir = path.join(dataDir, 'host-dir');
  fs.mkdirSync(hostDir, { recursive: true });
  fs.writeFileSync(path.join(hostDir, 'in'), 'from the host\n');
  const file = writeManifest('two-apps', podManifest([
    {
      name: 'first',
      image: { id: imageId.slice(0, 20) },
      app: {
        exec: ['/bin/sh', '-c', 'echo "$GREETING $AC_APP_NAME $(pwd) $(id -u):$(id -g)"; cat /data/in; echo shared > /scratch/note'],
        user: '1000', group: '1000', workingDirectory: '/tmp',
        environment: [{ name: 'GREETING', value: 'hello' }],
      },
      mounts: [{ volume: 'data', path: '/data' }, { volume: 'scratch', path: '/scratch' }],
      annotations: [{ name: 'note', value: 'from the manifest' }],
    },
    {
      name: 'second',
      image: { name: image() },
      app: { exec: ['/bin/sh', '-c', 'sleep 0.5; cat /s/note'] },
      mounts: [{ volume: 'scratch', path: '/s' }],
    },
  ], {
    volumes: [{ name: 'data', kind: 'host', source: hostDir, readOnly: true }, { name: 'scratch', kind: 'empty', mode: '0777' }],
    annotations: [{ name: 'example.com/owner', value: 'tests' }],
  }));
  const uuidFile = path.join(dataDir, 'uuid-two-apps');
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, `--pod-manifest=${file}`]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^hello first \/tmp 1000:1000$/m);
  assert.match(result.stdout, /^from the host$/m);
  assert.match(result.stdout, /^shared$/m);
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  const manifest = JSON.parse((await runRkt(dataDir, ['cat-manifest', uuid])).stdout) as {
    apps: { name: string; image: { id: string }; annotations: unknown[]; mounts: unknown[] }[];
    annotations: { name: string; value: string }[];
    volumes: { name: string; readOnly?: boolean }[];
  };
  assert.deepEqual(manifest.apps.map((app) => app.name), ['first', 'second']);
  assert.deepEqual(manifest.apps.map((app) => app.image.id), [imageId, imageId]);
  assert.deepEqual(manifest.apps[0]?.annotations, [{ name: 'note', value: 'from the manifest' }]);
  assert.ok(manifest.annotations.some((a) => a.name === 'example.com/owner' && a.value === 'tests'));
  assert.equal(manifest.volumes.find((v) => v.name === 'data')?.readOnly, true);
});

test('prepare --pod-manifest, then run-prepared; the manifest rkt wrote can be given back', async () => {
  const file = writeManifest('prepared', podManifest([{ name: 'only', image: { id: imageId }, app: { exec: ['/bin/sh', '-c', 'exit 7'] } }]));
  const prepared = await runRkt(dataDir, ['prepare', '--quiet', '--insecure-options=image', `--pod-manifest=${file}`]);
  assert.equal(prepared.status, 0, prepared.stderr);
  const uuid = prepared.stdout.trim();
  const ran = await runRkt(dataDir, ['run-prepared', '--net=none', uuid]);
  assert.equal(ran.status, 7, ran.stderr);
  const again = writeManifest('round-trip', JSON.parse((await runRkt(dataDir, ['cat-manifest', uuid])).stdout) as object);
  const rerun = await runRkt(dataDir, ['run', '--insecure-options=image', '--net=none', `--pod-manifest=${again}`]);
  assert.equal(rerun.status, 7, rerun.stderr);
});

test('--pod-manifest conflicts with images, --volume, --mount, --port, env flags and --pull-policy=never|update', async () => {
  const file = writeManifest('conflicts', podManifest([{ name: 'x', image: { id: imageId } }]));
  const cases: [string[], RegExp][] = [
    [[image()], /images/],
    [['--volume=v,kind=empty'], /--volume/],
    [['--mount=volume=v,target=/v'], /--mount/],
    [['--port=80-tcp:8080'], /--port/],
    [['--set-env=A=1'], /--set-env/],
    [['--inherit-env'], /--inherit-env/],
    [['--pull-policy=never'], /--pull-policy=never/],
    [['--pull-policy=update'], /--pull-policy=update/],
  ];
  for (const command of ['run', 'prepare']) {
    for (const [flags, named] of cases) {
      const result = await runRkt(dataDir, [command, '--insecure-options=image', `--pod-manifest=${file}`, ...flags]);
      assert.equal(result.status, 254, `${command} ${flags.join(' ')}`);
      assert.match(result.stderr, /conflicting flags set with --pod-manifest/);
      assert.match(result.stderr, named);
    }
  }
  const preparedDir = path.join(dataDir, 'pods', 'prepared');
  assert.equal(fs.existsSync(preparedDir) ? fs.readdirSync(preparedDir).length : 0, 0, 'no pod was prepared');
});

test('a pod manifest that is invalid names the field; an image not in the store is never fetched', async () => {
  const badName = await runRkt(dataDir, ['run', '--insecure-options=image', `--pod-manifest=${writeManifest('bad-name', podManifest([{ name: 'Bad_Name', image: { id: imageId } }]))}`]);
  assert.equal(badName.status, 254);
  assert.match(badName.stderr, /field apps\.0\.name: must be an AC name/);
  const unknownKey = await runRkt(dataDir, ['run', '--insecure-options=image', `--pod-manifest=${writeManifest('unknown-key', podManifest([{ name: 'a', image: { id: imageId }, app: { exce: ['/bin/true'] } }]))}`]);
  assert.equal(unknownKey.status, 254);
  assert.match(unknownKey.stderr, /field apps\.0\.app: unknown key "exce"/);
  const badVolume = await runRkt(dataDir, ['run', '--insecure-options=image', `--pod-manifest=${writeManifest('bad-volume', podManifest([{ name: 'a', image: { id: imageId } }], { volumes: [{ name: 'v', kind: 'host' }] }))}`]);
  assert.equal(badVolume.status, 254);
  assert.match(badVolume.stderr, /field volumes\.0\.source: kind "host" needs an absolute source path/);
  const notStored = await runRkt(dataDir, ['run', '--insecure-options=image', `--pod-manifest=${writeManifest('not-stored', podManifest([{ name: 'a', image: { name: 'oci:/nonexistent/layout:latest' } }]))}`]);
  assert.equal(notStored.status, 254);
  assert.match(notStored.stderr, /field apps\.0\.image\.name: no image .* in the store/);
  const missing = await runRkt(dataDir, ['run', '--insecure-options=image', '--pod-manifest=/nonexistent/manifest.json']);
  assert.equal(missing.status, 254);
  assert.match(missing.stderr, /cannot read --pod-manifest \/nonexistent\/manifest\.json/);
});

test('--mount before the first image applies to every app; an app\'s own mount on the same path wins', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', '--net=none',
    '--volume=shared,kind=empty', '--volume=own,kind=empty', '--mount=volume=shared,target=/v',
    image(), '--name=writer', '--exec=/bin/sh', '--', '-c', 'echo shared > /v/file; echo mine > /w', '---',
    image(), '--name=reader', '--exec=/bin/sh', '--', '-c', 'sleep 0.5; cat /v/file', '---',
    image(), '--name=other', '--mount=volume=own,target=/v', '--exec=/bin/sh', '--', '-c', 'sleep 0.5; ls /v | wc -l']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^shared$/m, 'reader sees the pod-wide volume');
  assert.match(result.stdout, /^0$/m, 'other has its own, empty volume at /v');
});

test('the pod manifest records each app\'s isolators, and --pod-manifest applies them as the flags would', async () => {
  // run with flags: cat-manifest shows them in appc's form
  const uuidFile = path.join(dataDir, 'uuid-flags');
  const flagged = await runRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, image(), '--exec=/bin/true', '--memory=48Mi', '--caps-retain=CAP_CHOWN', '--oom-score-adj=200']);
  assert.equal(flagged.status, 0, flagged.stderr);
  const recorded = await runRkt(dataDir, ['cat-manifest', '--pretty-print=false', fs.readFileSync(uuidFile, 'utf8').trim()]);
  assert.equal(recorded.status, 0, recorded.stderr);
  const app = (JSON.parse(recorded.stdout) as { apps: { app: { isolators?: unknown[] } }[] }).apps[0]!.app;
  assert.deepEqual(app.isolators, [
    { name: 'resource/memory', value: { limit: String(48 * 2 ** 20) } },
    { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN'] } },
    { name: 'os/linux/oom-score-adj', value: 200 },
  ]);

  // those isolators given back in a manifest: the same isolation, seen from inside
  const file = writeManifest('isolated', podManifest([{
    name: 'isolated',
    image: { id: imageId },
    app: { exec: ['/bin/sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /proc/self/oom_score_adj; grep CapBnd /proc/self/status'], isolators: app.isolators },
  }]));
  const run = await runRkt(dataDir, ['run', '--insecure-options=image', `--pod-manifest=${file}`]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, `${48 * 2 ** 20}\n200\nCapBnd:\t0000000000000001\n`);

  const unsupported = writeManifest('unsupported-isolator', podManifest([{
    name: 'x', image: { id: imageId }, app: { isolators: [{ name: 'resource/network-bandwidth', value: { limit: '1G' } }] },
  }]));
  const refused = await runRkt(dataDir, ['run', '--insecure-options=image', `--pod-manifest=${unsupported}`]);
  assert.equal(refused.status, 254);
  assert.match(refused.stderr, /field apps\.0\.app\.isolators: not applied by rkt: resource\/network-bandwidth/);
});
