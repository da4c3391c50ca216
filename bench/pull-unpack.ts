/**
 * Pull and unpack: `rkt fetch docker://…` (root: blobs into the store, layers verified and extracted)
 * into a fresh data directory, against `skopeo copy docker://… oci:DIR` followed by `umoci unpack`,
 * both from the same local docker-registry over plain HTTP on 127.0.0.1, alternating, each round
 * into fresh directories. The image is built here from generated content (no network): a busybox
 * base layer plus data layers mixing incompressible and compressible files, about 100 MB of gzip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../tests/support/project-paths.js';
import { pushToRegistry, startRegistry } from '../tests/support/registry.js';
import { median, quantile } from './stats.js';
import type { Workspace } from './workspace.js';

const ROUNDS = 4;
const DATA_LAYERS = 5;
/** Per data layer: random 1 MiB files (gzip cannot shrink them) and text files (it can). */
const RANDOM_FILES = 16;
const TEXT_FILES = 300;

export interface PullTiming {
  median: number;
  p25: number;
  p75: number;
}

export interface PullUnpackResult {
  layers: number;
  compressedBytes: number;
  rounds: number;
  rkt: PullTiming;
  peer: PullTiming;
  skopeo: PullTiming;
  umoci: PullTiming;
  versions: { skopeo: string; umoci: string; registry: string };
}

function umoci(...args: string[]): void {
  execFileSync('umoci', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Text that compresses about 4:1 with gzip, like source code or logs: words drawn from a small vocabulary. */
function compressibleText(bytes: number): string {
  const words = 'pod image layer store fetch manifest digest config mount cgroup network stage helper volume'.split(' ');
  const random = randomBytes(bytes);
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const word = `${words[random[i % bytes]! % words.length]}${random[(i * 7) % bytes]! % 100}`;
    parts.push(word, i % 12 === 11 ? '\n' : ' ');
    length += word.length + 1;
  }
  return parts.join('');
}

/** The bench image as an OCI layout (tag `latest`); returns the layout directory. */
function buildImage(workspace: Workspace, log: (line: string) => void): string {
  const layout = workspace.path('pull-image');
  const bundle = workspace.path('pull-image-bundle');
  umoci('init', '--layout', layout);
  umoci('new', '--image', `${layout}:latest`);
  umoci('unpack', '--image', `${layout}:latest`, bundle);
  const rootfs = path.join(bundle, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(rootfs, 'bin', 'sh'));
  // --refresh-bundle: each repack then adds only what changed since the last one, one layer each.
  umoci('repack', '--refresh-bundle', '--image', `${layout}:latest`, bundle);
  for (let layer = 1; layer <= DATA_LAYERS; layer++) {
    const dir = path.join(rootfs, 'data', `layer${layer}`);
    fs.mkdirSync(path.join(dir, 'text'), { recursive: true });
    for (let i = 0; i < RANDOM_FILES; i++) fs.writeFileSync(path.join(dir, `random-${i}.bin`), randomBytes(1 << 20));
    for (let i = 0; i < TEXT_FILES; i++) fs.writeFileSync(path.join(dir, 'text', `file-${i}.txt`), compressibleText(8_000 + ((i * 7919) % 40_000)));
    umoci('repack', '--refresh-bundle', '--image', `${layout}:latest`, bundle);
    log(`  pull and unpack: image layer ${layer + 1}/${DATA_LAYERS + 1} built`);
  }
  umoci('config', '--image', `${layout}:latest`, '--config.cmd', '/bin/sh');
  fs.rmSync(bundle, { recursive: true, force: true });
  return layout;
}

function layoutLayerBytes(layout: string): { layers: number; bytes: number } {
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (digest: string) => path.join(layout, 'blobs', ...digest.split(':'));
  const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { size: number }[] };
  return { layers: manifest.layers.length, bytes: manifest.layers.reduce((sum, layer) => sum + layer.size, 0) };
}

function timed(file: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.signal ?? `exit status ${result.status}`}): ${result.stderr.trim().split('\n').at(-1) ?? ''}`);
  return ms;
}

function timing(values: number[]): PullTiming {
  return { median: median(values), p25: quantile(values, 0.25), p75: quantile(values, 0.75) };
}

function firstLine(file: string, args: string[]): string {
  const result = spawnSync(file, args, { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? file;
}

export async function measurePullUnpack(workspace: Workspace, signal: AbortSignal, log: (line: string) => void): Promise<PullUnpackResult> {
  log('pull and unpack: building the image (busybox plus data layers) and starting docker-registry');
  const layout = buildImage(workspace, log);
  const { layers, bytes } = layoutLayerBytes(layout);
  const registry = await startRegistry();
  try {
    const reference = `${registry.host}/bench/pull:latest`;
    await pushToRegistry(`oci:${layout}:latest`, `docker://${reference}`);
    log(`pull and unpack: ${layers} layers, ${(bytes / 1e6).toFixed(1)} MB of gzip in the registry; ${ROUNDS} rounds after one warm-up`);
    const rkt = path.join(REPO_ROOT, 'dist', 'rkt.mjs');
    const rktTimes: number[] = [];
    const skopeoTimes: number[] = [];
    const umociTimes: number[] = [];
    const peerTimes: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      signal.throwIfAborted();
      const dataDir = workspace.path(`pull-rkt-${round}`);
      const ociDir = workspace.path(`pull-oci-${round}`);
      const unpacked = workspace.path(`pull-unpacked-${round}`);
      // Alternate who goes first, so that neither always meets the other's dirty page cache.
      const runRkt = () => timed(process.execPath, [rkt, `--dir=${dataDir}`, 'fetch', '--insecure-options=image,http', `docker://${reference}`]);
      const runPeer = () => {
        const copy = timed('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${reference}`, `oci:${ociDir}:latest`]);
        const unpack = timed('umoci', ['unpack', '--image', `${ociDir}:latest`, unpacked]);
        return { copy, unpack };
      };
      let rktMs: number;
      let peer: { copy: number; unpack: number };
      if (round % 2 === 0) {
        rktMs = runRkt();
        peer = runPeer();
      } else {
        peer = runPeer();
        rktMs = runRkt();
      }
      for (const dir of [dataDir, ociDir, unpacked]) fs.rmSync(dir, { recursive: true, force: true });
      log(`  round ${round}${round === 0 ? ' (warm-up)' : ''}: rkt fetch ${rktMs.toFixed(0)} ms, skopeo copy ${peer.copy.toFixed(0)} ms + umoci unpack ${peer.unpack.toFixed(0)} ms`);
      if (round === 0) continue;
      rktTimes.push(rktMs);
      skopeoTimes.push(peer.copy);
      umociTimes.push(peer.unpack);
      peerTimes.push(peer.copy + peer.unpack);
    }
    return {
      layers,
      compressedBytes: bytes,
      rounds: ROUNDS,
      rkt: timing(rktTimes),
      peer: timing(peerTimes),
      skopeo: timing(skopeoTimes),
      umoci: timing(umociTimes),
      versions: { skopeo: firstLine('skopeo', ['--version']), umoci: firstLine('umoci', ['--version']), registry: firstLine('docker-registry', ['--version']) },
    };
  } finally {
    await registry.stop();
  }
}

export function pullUnpackSection(result: PullUnpackResult, context: { date: Date; revision: string }): string {
  const ms = (value: number) => value.toFixed(0);
  const ratio = result.rkt.median / result.peer.median;
  const row = (label: string, t: PullTiming) => `| ${label} | ${ms(t.median)} | ${ms(t.p25)}–${ms(t.p75)} | ${(t.median / result.peer.median).toFixed(2)}× |`;
  return [
    '## Pull and unpack: rkt vs skopeo copy + umoci unpack',
    '',
    `One image of ${result.layers} layers, ${(result.compressedBytes / 1e6).toFixed(1)} MB of gzip: a busybox base layer and ${DATA_LAYERS} data layers, each ${RANDOM_FILES} random 1 MiB files (incompressible) and ${TEXT_FILES} text files of 8–48 kB (compressible), pushed with skopeo to Debian's docker-registry on 127.0.0.1 (plain HTTP, its own config and temp storage). ${result.rounds} rounds after one warm-up, rkt and the peers alternating who goes first, each into fresh directories, as root.`,
    '',
    '**Target**: pull and unpack at most 1.0× `skopeo copy` + `umoci unpack`.',
    '',
    '| command | median ms | p25–p75 ms | ratio to skopeo + umoci |',
    '|---|---:|---:|---:|',
    row('`rkt fetch --insecure-options=image,http docker://…` (fresh --dir)', result.rkt),
    row('`skopeo copy docker://… oci:DIR` + `umoci unpack`', result.peer),
    row('  of which `skopeo copy`', result.skopeo),
    row('  of which `umoci unpack`', result.umoci),
    '',
    `| target | measured | verdict |\n|---|---|---|\n| rkt ≤ 1.0× skopeo + umoci | ${ratio.toFixed(2)}×; rkt ${ms(result.rkt.median)} ms, peers ${ms(result.peer.median)} ms | ${ratio <= 1 ? '**met**' : `**missed** by ${ms(result.rkt.median - result.peer.median)} ms`} |`,
    '',
    "rkt's time is the whole command: Node start-up, the registry client (token-less here), blobs downloaded several at once into cas/ingest with their digests and sizes checked, the image recorded in the index, and every layer verified again (digest, diff_id) and extracted by the chrooted extraction child into cas/layers. The peers' unpack is one flattened root filesystem (umoci applies the layers in order into one tree); rkt keeps each layer apart for overlayfs.",
    '',
    `Versions: ${result.versions.skopeo}; ${result.versions.umoci}; ${result.versions.registry}. Measured ${context.date.toISOString().slice(0, 10)} at ${context.revision} by \`npm run bench -- pull-unpack\` (\`bench/pull-unpack.ts\`).`,
  ].join('\n');
}
