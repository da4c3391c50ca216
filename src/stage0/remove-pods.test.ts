import assert from 'node:assert/strict';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PodDir } from '../pod/pod-state.js';
import { makePodFixture } from '../pod/pod-fixture.js';
import type { PodRef, PodStore } from '../pod/pod-store.js';
import { deleteGarbagePod, removePod } from './remove-pods.js';

const fixture = makePodFixture('rm');
after(() => fixture.cleanup());
const { setup, base } = fixture;

/** A pod with some content, in `dir`, locked or not; it holds a link out of the pod that deleting must not follow. */
function pod(store: PodStore, dir: PodDir, locked = false): PodRef {
  const ref = fixture.pod(store, dir, locked);
  writeFileSync(join(ref.path, 'stage1', 'rootfs', 'opt', 'file'), 'x');
  symlinkSync(fixture.base, join(ref.path, 'stage1', 'rootfs', 'escape'));
  return ref;
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
