/**
 * Test support (not used by rkt itself): builds a one-layer image with the project's writer,
 * extracts it with ensureLayer, and watches a canary directory outside the layer that hostile
 * entries aim at. Every extraction asserts that the canary is byte-for-byte, mode-for-mode unchanged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOciImage } from '../image/oci-layout.js';
import { writeOciLayout, type LayerSpec } from '../image/oci-layout-writer.js';
import type { LayerEntry } from '../image/pack-layer-tar.js';
import { ensureLayer } from './layer-store.js';

export interface Sandbox {
  base: string;
  /** Host directory that no layer may touch; holds `passwd` and `sub/file`. */
  canary: string;
  dataDir: string;
  cleanup(): void;
}

export function makeSandbox(): Sandbox {
  const base = mkdtempSync(join(tmpdir(), 'rkt-layer-test-'));
  const canary = join(base, 'outside');
  mkdirSync(join(canary, 'sub'), { recursive: true });
  writeFileSync(join(canary, 'passwd'), 'host-passwd\n', { mode: 0o644 });
  writeFileSync(join(canary, 'sub', 'file'), 'host-file\n', { mode: 0o600 });
  return { base, canary, dataDir: join(base, 'data'), cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** Everything observable about a tree: names, types, modes, owners, times, link counts, contents. */
export function snapshotTree(dir: string): string[] {
  const lines: string[] = [];
  const walk = (path: string, shown: string): void => {
    const info = lstatSync(path);
    let detail = '';
    if (info.isFile()) detail = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (info.isSymbolicLink()) detail = readlinkSync(path);
    lines.push(`${shown} ${info.mode.toString(8)} ${info.uid}:${info.gid} n${info.nlink} ${info.mtimeMs} ${detail}`);
    if (info.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), `${shown}/${name}`);
  };
  walk(dir, '.');
  return lines;
}

export type ExtractResult = { ok: true; rootfs: string } | { ok: false; error: Error & { code?: string } };

/** Writes the layer into a fresh layout, extracts it, and checks the canary is untouched. */
export async function extractLayer(sandbox: Sandbox, layer: LayerEntry[] | LayerSpec, maxUncompressedBytes?: number): Promise<ExtractResult> {
  const before = snapshotTree(sandbox.canary);
  const layout = mkdtempSync(join(sandbox.base, 'layout-'));
  await writeOciLayout({ dir: layout, tag: 'test', layers: [Array.isArray(layer) ? { files: layer } : layer], config: {} });
  const image = await readOciImage(layout, 'test');
  const [first] = image.layers;
  assert.ok(first);
  let result: ExtractResult;
  try {
    const rootfs = await ensureLayer({ dataDir: sandbox.dataDir, blobPath: image.blobPath(first.digest), ...first, maxUncompressedBytes });
    result = { ok: true, rootfs };
  } catch (error) {
    result = { ok: false, error: error as Error };
  }
  assert.deepEqual(snapshotTree(sandbox.canary), before, 'the canary outside the layer changed');
  return result;
}

/** What is under cas/layers apart from the (empty) tmp area: proof that a failed layer left nothing. */
export function recordedLayers(dataDir: string): string[] {
  const layersDir = join(dataDir, 'cas', 'layers');
  const found: string[] = [];
  for (const alg of readdirSync(layersDir)) {
    if (alg === 'tmp') {
      assert.deepEqual(readdirSync(join(layersDir, 'tmp')), [], 'tmp/ was not cleaned up');
      continue;
    }
    for (const hex of readdirSync(join(layersDir, alg))) found.push(`${alg}/${hex}`);
  }
  return found;
}
