/**
 * Start-up cost without a timed test: starting a pod from an image already in the store must not
 * load the code for reading images from elsewhere (registry client, HTTP and TLS, appc discovery)
 * or for drawing progress bars. Each of those costs milliseconds at every pod start; a static import
 * that pulls one back into `rkt run`'s graph fails here. Node's own list of the built-in modules it
 * loaded is read when the process exits, so this is what really ran, not what the source says.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { RKT, SAMPLE_IMAGE } from '../support/project-paths.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('start-cost');
after(() => removeDataDir(dataDir));

/** Loaded with --import: at exit, writes the built-in modules loaded after it to the file named by the environment. */
const RECORDER = `
const before = new Set(process.moduleLoadList);
process.on('exit', () => {
  const loaded = process.moduleLoadList.filter((entry) => !before.has(entry) && entry.startsWith('NativeModule ')).map((entry) => entry.slice(13));
  require('node:fs').writeFileSync(process.env.RKT_TEST_MODULES_FILE, loaded.join('\\n'));
});
`;

function builtinsLoadedBy(args: string[]): string[] {
  const recorder = path.join(dataDir, 'record-modules.cjs');
  fs.writeFileSync(recorder, RECORDER);
  const listFile = path.join(dataDir, 'modules.txt');
  execFileSync(process.execPath, ['--require', recorder, fs.realpathSync(RKT), `--dir=${dataDir}`, ...args], {
    env: { ...process.env, RKT_TEST_MODULES_FILE: listFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return fs.readFileSync(listFile, 'utf8').split('\n');
}

const PREPARE_SAMPLE = ['prepare', '--quiet', '--insecure-options=image', `oci:${SAMPLE_IMAGE}`];

test('preparing a pod from a stored image loads no HTTP, TLS or terminal code', () => {
  builtinsLoadedBy(PREPARE_SAMPLE); // the first prepare stores the image
  const loaded = builtinsLoadedBy(PREPARE_SAMPLE);
  // the recorder saw the pod being prepared: the store's files were read through fs streams
  assert.ok(loaded.includes('fs/promises'), `recorder saw nothing: ${loaded.join(' ')}`);
  for (const unwanted of ['http', 'https', 'tls', '_tls_wrap', 'readline']) {
    assert.ok(!loaded.includes(unwanted), `${unwanted} was loaded to prepare a pod from a stored image`);
  }
});

test('the recorder does see the HTTP stack when a command needs it', () => {
  // `rkt fetch` of a docker:// name opens a connection (refused here: nothing listens on port 1)
  const recorder = () => builtinsLoadedBy(['fetch', '--insecure-options=image,http', 'docker://127.0.0.1:1/none:latest']);
  assert.throws(recorder);
  const loaded = fs.readFileSync(path.join(dataDir, 'modules.txt'), 'utf8').split('\n');
  assert.ok(loaded.includes('http'), `http not recorded for a registry fetch: ${loaded.join(' ')}`);
});
