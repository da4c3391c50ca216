import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, afterEach, describe, it } from 'node:test';
import { POD_DIRS, type PodDir } from './pod-state.js';
import { PodStore, type PodRef } from './pod-store.js';
import { newPodUuid } from './pod-uuid.js';

const base = mkdtempSync(join(tmpdir(), 'rkt-pods-'));
after(() => rmSync(base, { recursive: true, force: true }));

const holders = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of holders) await release(child);
});

function newStore(): PodStore {
  const store = new PodStore(mkdtempSync(join(base, 'data-')));
  store.ensureLayout();
  return store;
}

/** A pod directory laid out by hand in `dir`, locked by nobody. */
function podIn(store: PodStore, dir: PodDir, uuid = newPodUuid()): PodRef {
  const ref = { uuid, dir, path: store.pathOf(dir, uuid) };
  mkdirSync(ref.path);
  return ref;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Has another process take the pod's exclusive flock and keep it: flock(2) locks belong to an open
 * file description, so only a lock held elsewhere shows what `rkt` sees of a running pod. The shell
 * opens the directory, flock(1) locks that fd, and the shell becomes `sleep` with the fd still open,
 * so the one process started here holds the lock until it is killed.
 */
async function holdLock(store: PodStore, pod: PodRef): Promise<ChildProcess> {
  const child = spawn('sh', ['-c', 'exec 3<"$1" && flock -x 3 && exec sleep 60', 'sh', pod.path], { stdio: 'ignore' });
  holders.add(child);
  await waitFor(() => store.isLocked(pod), `the lock on ${pod.path}`);
  return child;
}

async function release(child: ChildProcess): Promise<void> {
  holders.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('PodStore.create', () => {
  it('creates a new pod in prepare/, locked, with nothing left in embryo/', () => {
    const store = newStore();
    const pod = store.create();
    try {
      assert.equal(pod.dir, 'prepare');
      assert.equal(pod.path, join(store.podsDir, 'prepare', pod.uuid));
      assert.ok(statSync(pod.path).isDirectory());
      assert.deepEqual(readdirSync(join(store.podsDir, 'embryo')), []);
      assert.equal(store.isLocked(pod), true, 'the lock is held on the pod dir through another open file');
      assert.equal(store.state(pod), 'preparing');
      assert.equal(store.tryLock(pod), undefined);
    } finally {
      closeSync(pod.lockFd);
    }
    assert.equal(store.state(pod), 'aborted prepare', 'closing the fd drops the lock');
  });

  it('creates every state directory, not readable by others', () => {
    const store = new PodStore(mkdtempSync(join(base, 'data-')));
    closeSync(store.create().lockFd);
    for (const dir of POD_DIRS) {
      const mode = statSync(join(store.podsDir, dir)).mode & 0o777;
      assert.equal(mode & 0o007, 0, `${dir} is ${mode.toString(8)}`);
    }
  });

  it('keeps the lock across moves: it is held on the directory itself', () => {
    const store = newStore();
    const pod = store.create();
    try {
      const running = store.move(pod, 'run');
      assert.equal(store.state(running), 'running');
    } finally {
      closeSync(pod.lockFd);
    }
  });
});

describe('PodStore.state', () => {
  const EXPECTED: Record<PodDir, [unlocked: string, locked: string]> = {
    embryo: ['embryo', 'embryo'],
    prepare: ['aborted prepare', 'preparing'],
    prepared: ['prepared', 'prepared'],
    run: ['exited', 'running'],
    'exited-garbage': ['exited garbage', 'exited deleting'],
    garbage: ['garbage', 'deleting'],
  };

  it('reads each state directory without a lock', () => {
    const store = newStore();
    for (const dir of POD_DIRS) {
      const pod = podIn(store, dir);
      assert.equal(store.isLocked(pod), false, dir);
      assert.equal(store.state(pod), EXPECTED[dir][0], dir);
    }
  });

  it('reads each state directory while another process holds the lock, and again once it is gone', async () => {
    const store = newStore();
    const pods = POD_DIRS.map((dir) => podIn(store, dir));
    const children = await Promise.all(pods.map((pod) => holdLock(store, pod)));
    for (const pod of pods) assert.equal(store.state(pod), EXPECTED[pod.dir][1], `${pod.dir}, locked`);
    for (const child of children) await release(child);
    for (const pod of pods) assert.equal(store.state(pod), EXPECTED[pod.dir][0], `${pod.dir}, after the holder exited`);
  });

  it('probing does not take or disturb the lock: the holder keeps it and tryLock still fails', async () => {
    const store = newStore();
    const pod = podIn(store, 'run');
    const child = await holdLock(store, pod);
    assert.equal(store.isLocked(pod), true);
    assert.equal(store.isLocked(pod), true);
    assert.equal(store.tryLock(pod), undefined);
    await release(child);
    const locked = store.tryLock(pod);
    assert.ok(locked, 'free once the holder is gone');
    try {
      assert.equal(store.state(pod), 'running', 'held by this process through another fd');
    } finally {
      closeSync(locked.lockFd);
    }
  });

  it('treats a pod that has vanished as unlocked', () => {
    const store = newStore();
    const pod = podIn(store, 'run');
    rmSync(pod.path, { recursive: true });
    assert.equal(store.isLocked(pod), false);
  });
});

describe('PodStore.list, find, move and refresh', () => {
  it('lists the pods of every state directory and ignores entries that are not UUIDs', () => {
    const store = newStore();
    const pods = POD_DIRS.map((dir) => podIn(store, dir));
    mkdirSync(join(store.podsDir, 'run', 'not-a-uuid'));
    mkdirSync(join(store.podsDir, 'run', pods[0]!.uuid.toUpperCase()));
    const key = (pod: PodRef): string => `${pod.dir}/${pod.uuid}`;
    assert.deepEqual(store.list().map(key).sort(), pods.map(key).sort());
    for (const ref of store.list()) assert.equal(ref.path, store.pathOf(ref.dir, ref.uuid));
  });

  it('lists nothing, without failing, when the pods directory does not exist yet', () => {
    assert.deepEqual(new PodStore(join(base, 'nowhere')).list(), []);
  });

  it('finds a pod by unique prefix wherever it is', () => {
    const store = newStore();
    const a = podIn(store, 'prepared', 'aaaa0000-0000-4000-8000-000000000000');
    podIn(store, 'garbage', 'abbb0000-0000-4000-8000-000000000000');
    assert.deepEqual(store.find('AAA'), a);
    assert.throws(() => store.find('a'), { code: 'ERR_POD_UUID_AMBIGUOUS' });
    assert.throws(() => store.find('b'), { code: 'ERR_POD_NOT_FOUND' });
    assert.throws(() => store.find('../run'), { code: 'ERR_POD_UUID_INVALID' });
  });

  it('moves a pod between state directories', () => {
    const store = newStore();
    const pod = podIn(store, 'prepared');
    const moved = store.move(pod, 'run');
    assert.deepEqual(moved, { uuid: pod.uuid, dir: 'run', path: store.pathOf('run', pod.uuid) });
    assert.equal(existsSync(pod.path), false);
    assert.ok(existsSync(moved.path));
  });

  it('reports a pod moved away meanwhile as ERR_POD_GONE', () => {
    const store = newStore();
    const pod = podIn(store, 'run');
    store.move(pod, 'exited-garbage');
    assert.throws(
      () => store.move(pod, 'garbage'),
      (error: Error & { code?: string; category?: string }) => {
        assert.equal(error.code, 'ERR_POD_GONE');
        assert.equal(error.category, 'pod');
        assert.match(error.message, new RegExp(`pod ${pod.uuid} is no longer in run/`));
        return true;
      },
    );
    assert.ok(existsSync(store.pathOf('exited-garbage', pod.uuid)), 'the failed move changed nothing');
  });

  it('refresh finds where a pod is now, or nothing once it is deleted', () => {
    const store = newStore();
    const pod = podIn(store, 'run');
    store.move(pod, 'exited-garbage');
    assert.deepEqual(store.refresh(pod), { uuid: pod.uuid, dir: 'exited-garbage', path: store.pathOf('exited-garbage', pod.uuid) });
    rmSync(store.pathOf('exited-garbage', pod.uuid), { recursive: true });
    assert.equal(store.refresh(pod), undefined);
  });
});

describe('PodStore.waitUnlocked', () => {
  it('returns true at once for an unlocked pod', async () => {
    const store = newStore();
    assert.equal(await store.waitUnlocked(podIn(store, 'run'), 0), true);
  });

  it('returns false after the timeout while another process holds the lock', async () => {
    const store = newStore();
    const pod = podIn(store, 'run');
    await holdLock(store, pod);
    const started = Date.now();
    assert.equal(await store.waitUnlocked(pod, 150), false);
    const waited = Date.now() - started;
    assert.ok(waited >= 150, `waited only ${waited} ms`);
    assert.ok(waited < 2000, `waited ${waited} ms`);
  });

  it('returns true once the holder exits, even if the pod was moved meanwhile', async () => {
    const store = newStore();
    const pod = podIn(store, 'run');
    const child = await holdLock(store, pod);
    const waiting = store.waitUnlocked(pod, 5000);
    store.move(pod, 'exited-garbage');
    let released = false;
    setTimeout(() => {
      released = true;
      void release(child);
    }, 100);
    assert.equal(await waiting, true);
    assert.equal(released, true, 'it returned only after the holder was killed');
  });

  it('returns true for a pod that no longer exists', async () => {
    const store = newStore();
    const pod = podIn(store, 'run');
    rmSync(pod.path, { recursive: true });
    assert.equal(await store.waitUnlocked(pod, 0), true);
  });
});
