/**
 * docs/errors.md promises stable, documented codes: every `ERR_…` code the source can raise has a
 * row there. (Node's own TLS and SSL codes, which the registry client only recognises, are not
 * rkt's.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/project-paths.js';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

test('every error code in src/ has a row in docs/errors.md', () => {
  const codes = new Set<string>();
  for (const file of sourceFiles(path.join(REPO_ROOT, 'src'))) {
    for (const match of fs.readFileSync(file, 'utf8').matchAll(/'(ERR_[A-Z0-9_]+)'/g)) {
      if (!/^ERR_(SSL|TLS)_/.test(match[1]!)) codes.add(match[1]!);
    }
  }
  assert.ok(codes.size > 100, `only ${codes.size} codes found: the scan is broken`);
  const documented = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  const missing = [...codes].filter((code) => !documented.includes(`\`${code}\``)).sort();
  assert.deepEqual(missing, [], 'codes without a row in docs/errors.md');
});
