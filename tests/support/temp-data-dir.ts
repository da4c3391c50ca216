/** A fresh rkt data directory per test file, removed at the end (pods included). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function makeDataDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rkt-e2e-${label}-`));
}

export function removeDataDir(dir: string): void {
  // A failed test may leave a pod mounted; detach before deleting so rm never crosses a mount.
  try {
    execFileSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
  } catch {
    // nothing was mounted
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
