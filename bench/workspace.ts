/**
 * Everything the bench creates: one temp directory (rkt data dirs, bundles, hyperfine exports) plus
 * whatever the peers leave on the host. `dispose` undoes it all, last registered first, and goes on
 * past a failing step so that one stuck item does not keep the rest behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeDataDir } from '../tests/support/temp-data-dir.js';

export class Workspace {
  readonly root: string;
  private readonly cleanups: { what: string; run: () => void }[] = [];

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-bench-'));
    // Detaches anything still mounted below before deleting, so rm never crosses into a mount.
    this.defer(`remove ${this.root}`, () => removeDataDir(this.root));
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  defer(what: string, run: () => void): void {
    this.cleanups.push({ what, run });
  }

  /**
   * runc and systemd-nspawn create state directories (/run/runc, /run/systemd/nspawn) on first use
   * and leave them, empty, behind. Those the bench brought into being go; ones that were there
   * before, or that now hold something, are not ours to delete.
   */
  removeIfCreated(dir: string): void {
    if (fs.existsSync(dir)) return;
    this.defer(`remove ${dir} if empty`, () => removeEmptyTree(dir));
  }

  /** Returns what could not be cleaned up, for the caller to report. */
  dispose(): string[] {
    const failures: string[] = [];
    for (const { what, run } of this.cleanups.splice(0).reverse()) {
      try {
        run();
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message}`);
      }
    }
    return failures;
  }
}

/** rmdir(2) only: a directory that holds any file is left alone. */
function removeEmptyTree(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // already gone
  }
  for (const entry of entries) if (entry.isDirectory()) removeEmptyTree(path.join(dir, entry.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty: someone else uses it now
  }
}
