import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sweepStore } from './sweep-store.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-sweep-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

describe('sweepStore', () => {
  it('deletes a dead layer together with its cuts to pathWhitelists, and keeps a live one with its cuts', async () => {
    const layers = path.join(base, 'cas', 'layers', 'sha512');
    const live = 'a'.repeat(128);
    const dead = 'b'.repeat(128);
    const names = [live, `${live}.wl-${'1'.repeat(32)}`, dead, `${dead}.wl-${'2'.repeat(32)}`];
    for (const name of names) fs.mkdirSync(path.join(layers, name, 'rootfs'), { recursive: true });
    const result = await sweepStore({ dataDir: base, liveDigests: new Set(), liveDiffIds: new Set([`sha512:${live}`]), sweepLayers: true, ingestGraceMs: 0 });
    assert.deepEqual(fs.readdirSync(layers).sort(), names.slice(0, 2).sort());
    assert.deepEqual(result.layers, [`sha512:${dead}`], 'a layer is one, however many cuts it had');
  });
});
