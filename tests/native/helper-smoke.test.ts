/**
 * The C helper on its own: native/tests/smoke.sh runs rkt-stage1 with hand-written plans (no
 * TypeScript in between) and checks each pod from inside with the probe. It catches a helper that
 * still works for the plans stage0 writes today but no longer does what docs/stage1-interface.md
 * promises for the others.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/project-paths.js';

test('native/tests/smoke.sh passes every check', () => {
  const result = spawnSync('bash', [path.join(REPO_ROOT, 'native', 'tests', 'smoke.sh')], { encoding: 'utf8', timeout: 120_000 });
  const failures = result.stdout.split('\n').filter((line) => line.startsWith('FAIL'));
  assert.deepEqual(failures, [], result.stdout + result.stderr);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^smoke: 0 failed$/m);
  // a run that checked nothing would also have no failures
  assert.ok(result.stdout.split('\n').filter((line) => line.startsWith('ok ')).length >= 40, result.stdout);
});
