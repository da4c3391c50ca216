/** A fresh rkt data directory per test file, removed at the end (pods included). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removePodCgroups } from '../../src/stage0/remove-pod.js';
import { RKT } from './project-paths.js';

export function makeDataDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rkt-e2e-${label}-`));
}

export function removeDataDir(dir: string): void {
  // rkt's own gc tears down what pods set up outside the directory (network namespaces, CNI
  // leases, iptables rules) before the directory goes.
  try {
    execFileSync(RKT, [`--dir=${dir}`, 'gc', '--grace-period=0s'], { stdio: 'ignore' });
  } catch {
    // a pod gc could not collect is left for the checks below to reveal
  }
  // A failed test may leave a pod mounted; detach before deleting so rm never crosses a mount.
  try {
    execFileSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
  } catch {
    // nothing was mounted
  }
  // Pods nobody removed with rkt rm still have their cgroups; a test must not leave them behind.
  const pods = path.join(dir, 'pods');
  for (const state of fs.existsSync(pods) ? fs.readdirSync(pods) : []) {
    for (const uuid of fs.readdirSync(path.join(pods, state))) removePodCgroups(path.join(pods, state, uuid));
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
