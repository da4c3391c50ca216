/**
 * Test support (not used by rkt itself): pod directories laid out as `rkt run` lays them out, in
 * any state directory, locked by this process (as a running stage1 holds its pod) or not.
 */
import { closeSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodDir } from './pod-state.js';
import { PodStore, type PodRef } from './pod-store.js';

export interface PodFixture {
  /** A fresh data directory with the pods layout. */
  setup(): { dataDir: string; store: PodStore };
  /** A pod with a manifest and a stage1 root, moved to `dir`; `locked` keeps its lock held. */
  pod(store: PodStore, dir: PodDir, locked?: boolean): PodRef;
  base: string;
  /** Releases the held locks and deletes everything. */
  cleanup(): void;
}

export function makePodFixture(label: string): PodFixture {
  const base = mkdtempSync(join(tmpdir(), `rkt-${label}-`));
  const heldFds: number[] = [];
  return {
    base,
    setup() {
      const dataDir = mkdtempSync(join(base, 'data-'));
      const store = new PodStore(dataDir);
      store.ensureLayout();
      return { dataDir, store };
    },
    pod(store, dir, locked = false) {
      const created = store.create();
      if (locked) heldFds.push(created.lockFd);
      else closeSync(created.lockFd);
      writeFileSync(join(created.path, 'pod'), '{}');
      mkdirSync(join(created.path, 'stage1', 'rootfs', 'opt'), { recursive: true });
      return dir === 'prepare' ? { uuid: created.uuid, dir: created.dir, path: created.path } : store.move(created, dir);
    },
    cleanup() {
      heldFds.forEach((fd) => closeSync(fd));
      rmSync(base, { recursive: true, force: true });
    },
  };
}
