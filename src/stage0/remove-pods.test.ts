import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PodDir } from '../pod/pod-state.js';
import { PodStore, type PodRef } from '../pod/pod-store.js';
import { deleteGarbagePod, removePod } from './remove-pods.js';

const base = mkdtempSync(join(tmpdir(), 'rkt-rm-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** Lock fds this file holds, as `rkt run` holds its pod's; closed at the end. */
const heldFds: number[] = [];
after(() => heldFds.forEach((fd) => closeSync(fd)));

function setup(): { dataDir: string; store: PodStore } {
  const dataDir = mkdtempSync(join(base, 'data-'));
  const store = new PodStore(dataDir);
  store.ensureLayout();
  return { dataDir, store };
}

/** A pod with some content, created as rkt creates pods, then moved to `dir`, locked or not. */
function pod(store: PodStore, dir: PodDir, locked = false): PodRef {
  const created = store.create();
  if (locked) heldFds.push(created.lockFd);
  else closeSync(created.lockFd);
  writeFileSync(join(created.path, 'pod'), '{}');
  mkdirSync(join(created.path, 'stage1', 'rootfs', 'opt'), { recursive: true });
  writeFileSync(join(created.path, 'stage1', 'rootfs', 'opt', 'file'), 'x');
  // A link out of the pod: deleting the pod must not follow it.
  symlinkSync(base, join(created.path, 'stage1', 'rootfs', 'escape'));
  return dir === 'prepare' ? { uuid: created.uuid, dir: created.dir, path: created.path } : store.move(created, dir);
}

function assertNotRemovable(dataDir: string, uuid: string, state: string, hint: RegExp): void {
  assert.throws(
    () => removePod(dataDir, uuid),
    (error: Error & { code?: string; category?: string; hint?: string }) => {
      assert.equal(error.code, 'ERR_POD_NOT_REMOVABLE');
      assert.equal(error.category, 'pod');
      assert.equal(error.message, `pod ${uuid} is ${state} and cannot be removed`);
      assert.match(error.hint ?? '', hint);
      return true;
    },
  );
}

describe('removePod', () => {
  for (const [dir, state] of [
    ['run', 'exited'],
    ['exited-garbage', 'exited garbage'],
    ['prepared', 'prepared'],
    ['prepare', 'aborted prepare'],
    ['garbage', 'garbage'],
  ] as const) {
    it(`deletes a pod that is ${state} (${dir}/) at once, with everything in it`, () => {
      const { dataDir, store } = setup();
      const p = pod(store, dir);
      assert.equal(store.state(p), state);
      assert.equal(removePod(dataDir, p.uuid), p.uuid);
      assert.equal(store.refresh(p), undefined);
      assert.deepEqual(store.list(), []);
    });
  }

  it('refuses a running pod (locked in run/) and leaves it as it was', () => {
    const { dataDir, store } = setup();
    const running = pod(store, 'run', true);
    assertNotRemovable(dataDir, running.uuid, 'running', /rkt status --wait/);
    assert.deepEqual(store.refresh(running), running);
    assert.equal(store.state(running), 'running');
  });

  it('refuses a pod being prepared or being deleted by another rkt', () => {
    const { dataDir, store } = setup();
    const preparing = pod(store, 'prepare', true);
    const deleting = pod(store, 'exited-garbage', true);
    assertNotRemovable(dataDir, preparing.uuid, 'preparing', /once it has finished/);
    assertNotRemovable(dataDir, deleting.uuid, 'exited deleting', /once it has finished/);
    assert.equal(store.refresh(preparing)?.dir, 'prepare');
    assert.equal(store.refresh(deleting)?.dir, 'exited-garbage');
  });

  it('finds the pod by a unique prefix, and deletes only that one', () => {
    const { dataDir, store } = setup();
    const a = pod(store, 'run');
    const b = pod(store, 'run');
    let prefixLength = 1;
    while (a.uuid.slice(0, prefixLength) === b.uuid.slice(0, prefixLength)) prefixLength++;
    assert.equal(removePod(dataDir, a.uuid.slice(0, prefixLength).toUpperCase()), a.uuid);
    assert.equal(store.refresh(a), undefined);
    assert.equal(store.refresh(b)?.dir, 'run');
  });

  it('does not follow links out of the pod while deleting it', () => {
    const { dataDir, store } = setup();
    const marker = join(base, 'marker');
    writeFileSync(marker, 'keep');
    const p = pod(store, 'run');
    removePod(dataDir, p.uuid);
    assert.equal(store.refresh(p), undefined);
    assert.equal(readFileSync(marker, 'utf8'), 'keep', 'the linked-to directory is untouched');
  });

  it('says so when no pod matches', () => {
    const { dataDir } = setup();
    assert.throws(() => removePod(dataDir, '0123'), { code: 'ERR_POD_NOT_FOUND' });
  });
});

describe('deleteGarbagePod', () => {
  it('refuses a pod whose lock someone else holds, with ERR_POD_BUSY, and keeps it', () => {
    const { store } = setup();
    const busy = pod(store, 'garbage', true);
    assert.throws(() => deleteGarbagePod(store, busy), { code: 'ERR_POD_BUSY' });
    assert.equal(store.refresh(busy)?.dir, 'garbage');
  });
});
