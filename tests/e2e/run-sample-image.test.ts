/** README command 1 in miniature: the embedded sample image runs and says hello. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runRkt } from '../support/run-rkt.js';
import { SAMPLE_IMAGE } from '../support/project-paths.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('sample');
after(() => removeDataDir(dataDir));

test('the embedded sample image runs as its own user in its working directory', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `oci:${SAMPLE_IMAGE}`]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Hello, world! This is rkt's sample app\.$/m);
  assert.match(result.stdout, /^uid: 1000 gid: 1000$/m);
  assert.match(result.stdout, /^cwd: \/home\/sample$/m);
  assert.match(result.stdout, /^SAMPLE_GREETING: hello from the embedded image$/m);
  // The app is the first child of the pod's own PID 1.
  assert.match(result.stdout, /^pid: 2$/m);
});

test('arguments after -- replace the image Cmd', async () => {
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', `oci:${SAMPLE_IMAGE}`, '--', '--greet', 'operator']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Hello, operator!/m);
});
