/**
 * Layer extraction: rkt's ensureLayer (digest and diff_id checks, gunzip, the chrooted extraction
 * child, layer.json, rename into place) against GNU `tar -xzf` of the same gzip layer into an empty
 * directory, alternating, each into a fresh target. rkt is timed in-process (no Node start-up: that
 * is measured by the start latency section); tar as a child process, which is how it is used.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MEDIA_TYPE } from '../src/schema/media-types.js';
import { ensureLayer } from '../src/store/layer-store.js';
import { REPO_ROOT } from '../tests/support/project-paths.js';
import { median, quantile } from './stats.js';
import type { Workspace } from './workspace.js';

const SOURCES = ['/usr/lib/python3.11', '/usr/share/perl', path.join(REPO_ROOT, 'node_modules', 'typescript')];
const ROUNDS = 7;

export interface ExtractionTiming {
  median: number;
  p25: number;
  p75: number;
}

export interface LayerExtractionResult {
  source: string;
  blobBytes: number;
  tarBytes: number;
  entries: number;
  rounds: number;
  rkt: ExtractionTiming;
  tar: ExtractionTiming;
  tarVersion: string;
}

function timing(values: number[]): ExtractionTiming {
  return { median: median(values), p25: quantile(values, 0.25), p75: quantile(values, 0.75) };
}

export async function measureLayerExtraction(workspace: Workspace, signal: AbortSignal, log: (line: string) => void): Promise<LayerExtractionResult> {
  const source = SOURCES.find((dir) => fs.existsSync(dir));
  if (source === undefined) throw new Error(`none of ${SOURCES.join(', ')} exists to make a layer from`);
  const blob = workspace.path('layer.tar.gz');
  execFileSync('tar', ['-czf', blob, '-C', path.dirname(source), path.basename(source)]);
  const bytes = fs.readFileSync(blob);
  const tar = gunzipSync(bytes);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const entries = execFileSync('tar', ['-tzf', blob], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
  log(`layer extraction: ${source} as a ${(bytes.length / 1e6).toFixed(1)} MB gzip layer (${entries} entries), ${ROUNDS} rounds`);
  const rktTimes: number[] = [];
  const tarTimes: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    signal.throwIfAborted();
    const dataDir = workspace.path(`extract-data-${round}`);
    const started = process.hrtime.bigint();
    await ensureLayer({ dataDir, blobPath: blob, digest, size: bytes.length, mediaType: MEDIA_TYPE.ociLayerGzip, diffId });
    const rktMs = Number(process.hrtime.bigint() - started) / 1e6;
    const target = workspace.path(`extract-tar-${round}`);
    fs.mkdirSync(target);
    const tarStarted = process.hrtime.bigint();
    const result = spawnSync('tar', ['-xzf', blob, '-C', target]);
    const tarMs = Number(process.hrtime.bigint() - tarStarted) / 1e6;
    if (result.status !== 0) throw new Error(`tar -xzf failed: ${result.stderr.toString()}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(target, { recursive: true, force: true });
    if (round === 0) continue; // warm-up: page cache, first spawn
    rktTimes.push(rktMs);
    tarTimes.push(tarMs);
  }
  return {
    source,
    blobBytes: bytes.length,
    tarBytes: tar.length,
    entries,
    rounds: ROUNDS,
    rkt: timing(rktTimes),
    tar: timing(tarTimes),
    tarVersion: execFileSync('tar', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? 'tar',
  };
}

export function layerExtractionSection(result: LayerExtractionResult, context: { date: Date; revision: string }): string {
  const ms = (value: number) => value.toFixed(0);
  const row = (label: string, t: ExtractionTiming) => `| ${label} | ${ms(t.median)} | ${ms(t.p25)}–${ms(t.p75)} | ${(t.median / result.tar.median).toFixed(2)}× |`;
  return [
    '## Layer extraction: rkt vs GNU tar',
    '',
    `One gzip layer made from \`${result.source}\`: ${(result.blobBytes / 1e6).toFixed(1)} MB compressed, ${(result.tarBytes / 1e6).toFixed(1)} MB as a tar, ${result.entries} entries. ${result.rounds} rounds after one warm-up, rkt and tar alternating, each into a fresh directory, as root.`,
    '',
    '| extractor | median ms | p25–p75 ms | ratio to tar |',
    '|---|---:|---:|---:|',
    row('rkt `ensureLayer`', result.rkt),
    row(`\`tar -xzf\` (${result.tarVersion})`, result.tar),
    '',
    "rkt's time includes what tar does not do: checking the blob's digest and size and the uncompressed tar's diff_id (two SHA-256 passes), spawning the extraction child that chroots into the layer, checking every entry name, writing `layer.json` and renaming the layer into place. tar restores no xattrs here (rkt does).",
    '',
    `Measured ${context.date.toISOString().slice(0, 10)} at ${context.revision} by \`npm run bench -- layer-extraction\` (\`bench/layer-extraction.ts\`).`,
  ].join('\n');
}
