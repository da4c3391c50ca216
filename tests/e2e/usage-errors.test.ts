/** Bad input gets a clear message naming the thing at fault, exit 254, and leaves no pod behind. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { runRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('errors');
after(() => removeDataDir(dataDir));

function podDirs(): string[] {
  const pods = path.join(dataDir, 'pods');
  if (!fs.existsSync(pods)) return [];
  return fs.readdirSync(pods).flatMap((state) => fs.readdirSync(path.join(pods, state)).map((uuid) => `${state}/${uuid}`));
}

const cases: { name: string; args: string[]; stderr: RegExp }[] = [
  { name: 'an unsigned image without --insecure-options=image', args: ['run', `oci:${'LAYOUT'}:latest`], stderr: /not signed[\s\S]*--insecure-options=image/ },
  { name: 'a layout that does not exist', args: ['run', '--insecure-options=image', 'oci:/nonexistent/layout:latest'], stderr: /\/nonexistent\/layout/ },
  { name: 'a tag the layout does not have', args: ['run', '--insecure-options=image', 'oci:LAYOUT:nosuchtag'], stderr: /nosuchtag[\s\S]*latest/ },
  { name: 'an unsupported transport', args: ['run', '--insecure-options=image', 'containers-storage:busybox'], stderr: /containers-storage[\s\S]*oci:PATH/ },
  { name: 'an unknown run flag', args: ['run', '--no-such-flag', 'oci:LAYOUT:latest'], stderr: /unknown flag "--no-such-flag"/ },
  { name: 'an app flag before any image', args: ['run', '--exec=/bin/true', 'oci:LAYOUT:latest'], stderr: /--exec applies to an image/ },
  { name: 'no image at all', args: ['run', '--insecure-options=image'], stderr: /no image given/ },
  { name: 'an unknown insecure option', args: ['run', '--insecure-options=everything', 'oci:LAYOUT:latest'], stderr: /unknown value "everything"/ },
  { name: 'an invalid app name', args: ['run', '--insecure-options=image', 'oci:LAYOUT:latest', '--name=Bad_Name'], stderr: /app name "Bad_Name"/ },
  { name: 'an unknown network', args: ['run', '--insecure-options=image', '--net=default,nosuch', 'oci:LAYOUT:latest'], stderr: /networks not found: nosuch/ },
  { name: '--port with --net=host', args: ['run', '--insecure-options=image', '--net=host', '--port=80-tcp:8080', 'oci:LAYOUT:latest'], stderr: /--port cannot be used with --net=host/ },
  { name: '--port naming no image port', args: ['run', '--insecure-options=image', '--port=http:8080', 'oci:LAYOUT:latest'], stderr: /no app's image declares a port named "http"/ },
  { name: 'a --dns that is not an address', args: ['run', '--insecure-options=image', '--dns=example.org', 'oci:LAYOUT:latest'], stderr: /--dns=example\.org: not an IP address/ },
  { name: 'an unknown subcommand', args: ['frobnicate'], stderr: /frobnicate/ },
  { name: 'status of a pod that does not exist', args: ['status', 'deadbeef'], stderr: /no pod matches "deadbeef"/ },
  { name: 'rm of an invalid UUID', args: ['rm', '../../etc'], stderr: /not a pod UUID/ },
];

for (const { name, args, stderr } of cases) {
  test(`${name}: exit 254 with a clear message`, async () => {
    const layout = busyboxLayout();
    const result = await runRkt(dataDir, args.map((arg) => arg.replace('LAYOUT', layout)));
    assert.equal(result.status, 254, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
    assert.match(result.stderr, stderr);
    assert.deepEqual(podDirs(), [], 'a failed run leaves no pod behind');
  });
}

test('rkt with no subcommand prints usage and exits 2', async () => {
  const result = await runRkt(dataDir, []);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /Usage: rkt/);
});

test('--help works on every command and exits 0', async () => {
  for (const command of ['run', 'list', 'status', 'cat-manifest', 'rm', 'gc', 'config', 'version']) {
    const result = await runRkt(dataDir, [command, '--help']);
    assert.equal(result.status, 0, `${command} --help: ${result.stderr}`);
    assert.match(result.stdout, /Usage|usage/, `${command} --help printed no usage`);
  }
});

test('unambiguous command prefixes work, as in rkt', async () => {
  const result = await runRkt(dataDir, ['ver']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^rkt Version: /m);
});
