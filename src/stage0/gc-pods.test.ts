import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PodDir } from '../pod/pod-state.js';
import { makePodFixture } from '../pod/pod-fixture.js';
import type { PodRef, PodStore } from '../pod/pod-store.js';
import { gcPods, type GcEvent, type GcRequest } from './gc-pods.js';

const fixture = makePodFixture('gc');
after(() => fixture.cleanup());
const { setup, pod, base } = fixture;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function gc(dataDir: string, options: Partial<GcRequest> = {}): GcEvent[] {
  return gcPods({ dataDir, gracePeriodMs: 30 * MINUTE, expirePreparedMs: 24 * HOUR, markOnly: false, ...options });
}

function whereIs(store: PodStore, p: PodRef): PodDir | undefined {
  return store.refresh(p)?.dir;
}

const byUuid = (a: { uuid: string; kind: string }, b: { uuid: string; kind: string }): number => a.uuid.localeCompare(b.uuid) || a.kind.localeCompare(b.kind);

describe('gcPods: marking', () => {
  it('with markOnly, marks exited pods and aborted prepares and deletes nothing', () => {
    const { dataDir, store } = setup();
    const exited = pod(store, 'run');
    const running = pod(store, 'run', true);
    const aborted = pod(store, 'prepare');
    const preparing = pod(store, 'prepare', true);
    const prepared = pod(store, 'prepared');
    const garbage = pod(store, 'garbage');

    const events = gc(dataDir, { markOnly: true, gracePeriodMs: 0, now: new Date(Date.now() + 1000 * HOUR) });

    assert.deepEqual(
      events.sort(byUuid),
      [
        { kind: 'marked', uuid: exited.uuid, from: 'exited' },
        { kind: 'marked', uuid: aborted.uuid, from: 'aborted prepare' },
      ].sort(byUuid),
    );
    assert.equal(whereIs(store, exited), 'exited-garbage');
    assert.equal(whereIs(store, aborted), 'garbage');
    assert.equal(whereIs(store, running), 'run', 'a running pod is never touched');
    assert.equal(store.state(store.refresh(running)!), 'running');
    assert.equal(whereIs(store, preparing), 'prepare', 'a pod being prepared is never touched');
    assert.equal(whereIs(store, prepared), 'prepared', 'markOnly expires nothing');
    assert.equal(whereIs(store, garbage), 'garbage', 'markOnly deletes nothing');
  });
});

describe('gcPods: grace period of exited pods', () => {
  it('keeps a just-exited pod in exited-garbage for the grace period', () => {
    const { dataDir, store } = setup();
    const exited = pod(store, 'run');
    const events = gc(dataDir);
    assert.deepEqual(events, [{ kind: 'marked', uuid: exited.uuid, from: 'exited' }]);
    assert.equal(whereIs(store, exited), 'exited-garbage');

    assert.deepEqual(gc(dataDir, { now: new Date(Date.now() + 29 * MINUTE) }), [], 'still within the grace period');
    assert.equal(whereIs(store, exited), 'exited-garbage');
  });

  it('deletes an exited pod once the grace period has passed since it was marked', () => {
    const { dataDir, store } = setup();
    const exited = pod(store, 'run');
    gc(dataDir, { markOnly: true });
    const events = gc(dataDir, { now: new Date(Date.now() + 31 * MINUTE) });
    assert.deepEqual(events, [{ kind: 'deleted', uuid: exited.uuid }]);
    assert.equal(whereIs(store, exited), undefined);
  });

  it('with a zero grace period, deletes a marked pod on the next run', () => {
    const { dataDir, store } = setup();
    const exited = pod(store, 'run');
    gc(dataDir, { markOnly: true });
    assert.deepEqual(gc(dataDir, { gracePeriodMs: 0, now: new Date(Date.now() + 1000) }), [{ kind: 'deleted', uuid: exited.uuid }]);
    assert.equal(whereIs(store, exited), undefined);
  });

  // The pod is marked after `now` (set a second early here to make that certain), so its measured
  // age would be negative without the clamp in gc-pods.ts.
  it('with a zero grace period, marks and deletes an exited pod in one run, as rkt did', () => {
    const { dataDir, store } = setup();
    const exited = pod(store, 'run');
    const events = gc(dataDir, { gracePeriodMs: 0, now: new Date(Date.now() - 1000) });
    assert.deepEqual(events, [
      { kind: 'marked', uuid: exited.uuid, from: 'exited' },
      { kind: 'deleted', uuid: exited.uuid },
    ]);
    assert.equal(whereIs(store, exited), undefined);
  });

  it('leaves an exited pod that another process is deleting (locked in exited-garbage)', () => {
    const { dataDir, store } = setup();
    const busy = pod(store, 'exited-garbage', true);
    assert.deepEqual(gc(dataDir, { gracePeriodMs: 0 }), [], 'no event, not even a failure: the pod is theirs');
    assert.equal(whereIs(store, busy), 'exited-garbage');
  });
});

describe('gcPods: prepared pods and garbage', () => {
  it('keeps prepared pods younger than --expire-prepared, and expires and deletes older ones', () => {
    const { dataDir, store } = setup();
    const prepared = pod(store, 'prepared');
    assert.deepEqual(gc(dataDir, { now: new Date(Date.now() + 23 * HOUR) }), []);
    assert.equal(whereIs(store, prepared), 'prepared');

    const events = gc(dataDir, { now: new Date(Date.now() + 25 * HOUR) });
    assert.deepEqual(events, [
      { kind: 'expired', uuid: prepared.uuid },
      { kind: 'deleted', uuid: prepared.uuid },
    ]);
    assert.equal(whereIs(store, prepared), undefined);
  });

  it('deletes garbage and aborted prepares at once, whatever the grace period', () => {
    const { dataDir, store } = setup();
    const garbage = pod(store, 'garbage');
    const aborted = pod(store, 'prepare');
    const events = gc(dataDir, { gracePeriodMs: 1000 * HOUR });
    assert.deepEqual(
      events.filter((event) => event.kind === 'deleted').sort(byUuid),
      [
        { kind: 'deleted', uuid: garbage.uuid },
        { kind: 'deleted', uuid: aborted.uuid },
      ].sort(byUuid),
    );
    assert.deepEqual(store.list(), []);
  });

  it('deletes an unlocked embryo only once it is stale (10 minutes), never a locked one', () => {
    const { dataDir, store } = setup();
    const stale = { uuid: '0e0e0e0e-0000-4000-8000-000000000000', dir: 'embryo' as const, path: store.pathOf('embryo', '0e0e0e0e-0000-4000-8000-000000000000') };
    mkdirSync(stale.path);
    const locked = pod(store, 'embryo', true);

    assert.deepEqual(gc(dataDir, { now: new Date(Date.now() + 9 * MINUTE) }), []);
    assert.equal(whereIs(store, stale), 'embryo');

    assert.deepEqual(gc(dataDir, { now: new Date(Date.now() + 11 * MINUTE) }), [{ kind: 'deleted', uuid: stale.uuid }]);
    assert.equal(whereIs(store, stale), undefined);
    assert.equal(whereIs(store, locked), 'embryo');
  });

  it('does nothing, without failing, in an empty or missing pods directory', () => {
    const { dataDir } = setup();
    assert.deepEqual(gc(dataDir), []);
    assert.deepEqual(gc(join(base, 'no-such-data-dir')), []);
  });
});
