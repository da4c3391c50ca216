/**
 * scripts/setup-data-dir.sh, then a non-root member of group `rkt` (uid 65534 with the group as a
 * supplementary group, through setpriv) fetches and lists images; root runs them; run refuses
 * the non-root user.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { busyboxDockerArchive } from '../support/image-archives.js';
import { REPO_ROOT, RKT } from '../support/project-paths.js';
import { runCommand, runRkt } from '../support/run-rkt.js';
import { removeDataDir } from '../support/temp-data-dir.js';

// A parent any user can traverse: the data directory itself is 2750 root:rkt.
const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-privsep-'));
fs.chmodSync(parent, 0o755);
const dataDir = path.join(parent, 'data');
after(() => {
  removeDataDir(dataDir);
  fs.rmSync(parent, { recursive: true, force: true });
});

function asMember(args: string[]) {
  const gid = execFileSync('getent', ['group', 'rkt'], { encoding: 'utf8' }).split(':')[2]!;
  return runCommand('setpriv', ['--reuid=65534', '--regid=65534', `--groups=${gid}`, '--', RKT, `--dir=${dataDir}`, ...args]);
}

test('a member of group rkt fetches and lists images; run needs root and says so; root runs what the member fetched', async () => {
  execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-data-dir.sh'), dataDir], { stdio: 'ignore' });
  const info = fs.statSync(dataDir);
  assert.equal(info.mode & 0o7777, 0o2750);
  assert.equal(fs.statSync(path.join(dataDir, 'cas')).mode & 0o7777, 0o2770);

  const archive = path.join(parent, 'busybox.tar');
  fs.copyFileSync(busyboxDockerArchive(), archive);
  fs.chmodSync(archive, 0o644);
  const fetched = await asMember(['fetch', '--full', `docker-archive:${archive}`]);
  assert.equal(fetched.status, 0, fetched.stderr);
  const id = fetched.stdout.trim();
  const listed = await asMember(['image', 'list', '--format=json']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as { id: string }[]).map((i) => i.id), [id]);
  assert.match((await asMember(['image', 'verify', id])).stdout, /0 of 1 layer\(s\) extracted/);

  const run = await asMember(['run', '--insecure-options=image', `docker-archive:${archive}`]);
  assert.equal(run.status, 254);
  assert.match(run.stderr, /rkt run needs root/);

  const rootRun = await runRkt(dataDir, ['run', '--insecure-options=image', '--pull-policy=never', `docker-archive:${archive}`, '--exec=/bin/true']);
  assert.equal(rootRun.status, 0, rootRun.stderr);
  // The index stays writable for the group after root wrote to it.
  const again = await asMember(['fetch', `docker-archive:${archive}`]);
  assert.equal(again.status, 0, again.stderr);
  const index = fs.statSync(path.join(dataDir, 'cas', 'db', 'index.sqlite'));
  assert.equal(index.mode & 0o777, 0o660);
});
