/**
 * Density: 50 idle pods started one after the other with `rkt run` in the background (each running
 * the test probe's `sleep` from the busybox image), then the memory that rkt's own processes hold per
 * pod: the stage1 helper's outer process (what `rkt run` became by execve) and the pod's PID 1, not
 * the apps. Read from /proc/PID/smaps_rollup: PSS (shared pages divided among their sharers, so 50
 * copies of the same static helper share its text) and RSS. Then every pod is stopped (`rkt stop`)
 * and removed (`rkt rm`). runc is measured the same way where it can run: `runc run` in the
 * foreground stays as the container's parent, like rkt's helper (runc's `--detach` leaves no process).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyboxLayout } from '../tests/support/busybox-layout.js';
import { REPO_ROOT } from '../tests/support/project-paths.js';
import { prepareRuncBundle, unpackImage } from './peer-roots.js';
import { median } from './stats.js';
import type { Workspace } from './workspace.js';

export const PODS = 50;
const START_TIMEOUT_MS = 30_000;

export interface Memory {
  /** kB, summed over the counted processes of one pod (container). */
  pss: number;
  rss: number;
}

export interface DensitySide {
  count: number;
  /** Per pod: the median and the mean over all pods, kB. */
  medianPss: number;
  meanPss: number;
  medianRss: number;
  meanRss: number;
  /** Wall time to start them all, one after the other, ms. */
  startMs: number;
  /** Wall time to stop and remove them all, ms. */
  teardownMs: number;
}

export interface DensityResult {
  rkt: DensitySide;
  /** Split of rkt's per-pod PSS: the helper's outer process and the pod's PID 1 (medians, kB). */
  rktParts: { outerPss: number; pid1Pss: number };
  runc?: DensitySide;
  runcUnavailable?: string;
}

/** Children of every thread: a Go program such as runc forks from whichever thread it is on. */
function children(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((task) => fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function memoryOf(pid: number): Memory {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { pss: field('Pss'), rss: field('Rss') };
}

function exeOf(pid: number): string {
  try {
    return path.basename(fs.readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return '';
  }
}

/**
 * Waits until the child runs `exe` and has descendants `depth` levels down: for rkt (depth 2) the
 * helper, pod PID 1 and the app; for runc (depth 1) runc and the container's init, which is the app.
 */
async function waitForTree(child: ChildProcess, exe: string, depth: number, what: string): Promise<number[]> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const pid = child.pid!;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.signalCode ?? `status ${child.exitCode}`}) before it was up`);
    if (exeOf(pid) === exe) {
      const chain = [pid];
      for (let level = 0; level < depth; level++) {
        const next = children(chain.at(-1)!)[0];
        if (next === undefined) break;
        chain.push(next);
      }
      if (chain.length === depth + 1) return chain;
    }
    await sleep(20);
  }
  throw new Error(`${what} was not up after ${START_TIMEOUT_MS} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function side(perPod: Memory[], startMs: number, teardownMs: number): DensitySide {
  const pss = perPod.map((m) => m.pss);
  const rss = perPod.map((m) => m.rss);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { count: perPod.length, medianPss: median(pss), meanPss: mean(pss), medianRss: median(rss), meanRss: mean(rss), startMs, teardownMs };
}

function run(file: string, args: string[]): void {
  const result = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${file} ${args.slice(0, 3).join(' ')}… failed: ${result.stderr.trim().split('\n').at(-1) ?? result.error?.message ?? ''}`);
}

async function measureRkt(workspace: Workspace, image: string, log: (line: string) => void): Promise<{ side: DensitySide; parts: { outerPss: number; pid1Pss: number } }> {
  const rkt = path.join(REPO_ROOT, 'dist', 'rkt.mjs');
  const dataDir = workspace.path('density-rkt');
  const uuidFiles: string[] = [];
  const pods: ChildProcess[] = [];
  const rktCommand = (...args: string[]) => run(process.execPath, [rkt, `--dir=${dataDir}`, ...args]);
  // Whatever happens below, no pod outlives the bench.
  workspace.defer('stop and remove the density pods', () => {
    for (const pod of pods) if (pod.exitCode === null && pod.signalCode === null) pod.kill('SIGKILL');
  });
  const outer: Memory[] = [];
  const pid1: Memory[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < PODS; i++) {
    const uuidFile = workspace.path(`density-rkt-${i}.uuid`);
    uuidFiles.push(uuidFile);
    const pod = spawn(process.execPath, [rkt, `--dir=${dataDir}`, 'run', '--insecure-options=image', '--net=host', `--uuid-file-save=${uuidFile}`, image, '--exec=/bin/probe', '--', 'sleep', '3600'], {
      stdio: 'ignore',
    });
    pods.push(pod);
    await waitForTree(pod, 'rkt-stage1', 2, `rkt run (pod ${i + 1})`);
  }
  const startMs = Number(process.hrtime.bigint() - started) / 1e6;
  // Measured once all are up: PSS depends on how many share the pages.
  for (const pod of pods) {
    const [helper, podInit] = [pod.pid!, children(pod.pid!)[0]!];
    outer.push(memoryOf(helper));
    pid1.push(memoryOf(podInit));
  }
  log(`  density: ${PODS} rkt pods up in ${(startMs / 1000).toFixed(1)} s; stopping and removing them`);
  const teardownStarted = process.hrtime.bigint();
  const uuids = uuidFiles.map((file) => fs.readFileSync(file, 'utf8').trim());
  rktCommand('stop', ...uuids);
  await Promise.all(pods.map(exited));
  rktCommand('rm', ...uuids);
  const teardownMs = Number(process.hrtime.bigint() - teardownStarted) / 1e6;
  const perPod = outer.map((m, i) => ({ pss: m.pss + pid1[i]!.pss, rss: m.rss + pid1[i]!.rss }));
  return { side: side(perPod, startMs, teardownMs), parts: { outerPss: median(outer.map((m) => m.pss)), pid1Pss: median(pid1.map((m) => m.pss)) } };
}

async function measureRunc(workspace: Workspace, image: string): Promise<DensitySide> {
  const bundle = workspace.path('density-runc-bundle');
  const rootfs = unpackImage(image.replace(/^oci:/, ''), workspace.path('density-runc-unpacked'));
  prepareRuncBundle(bundle, rootfs);
  const file = path.join(bundle, 'config.json');
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as { process: { args: string[] } };
  spec.process.args = ['/bin/probe', 'sleep', '3600'];
  fs.writeFileSync(file, JSON.stringify(spec));
  workspace.removeIfCreated('/run/runc');
  const ids = Array.from({ length: PODS }, (_, i) => `rkt-bench-density-${process.pid}-${i}`);
  const containers: ChildProcess[] = [];
  workspace.defer('delete the density runc containers', () => {
    for (const id of ids) if (spawnSync('runc', ['state', id], { stdio: 'ignore' }).status === 0) spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
  });
  const memory: Memory[] = [];
  const started = process.hrtime.bigint();
  for (const id of ids) {
    const container = spawn('runc', ['run', '-b', bundle, id], { stdio: 'ignore' });
    containers.push(container);
    await waitForTree(container, 'runc', 1, `runc run ${id}`);
  }
  const startMs = Number(process.hrtime.bigint() - started) / 1e6;
  for (const container of containers) memory.push(memoryOf(container.pid!));
  const teardownStarted = process.hrtime.bigint();
  for (const id of ids) spawnSync('runc', ['kill', id, 'KILL'], { stdio: 'ignore' });
  await Promise.all(containers.map(exited));
  const teardownMs = Number(process.hrtime.bigint() - teardownStarted) / 1e6;
  return side(memory, startMs, teardownMs);
}

export async function measureDensity(workspace: Workspace, signal: AbortSignal, log: (line: string) => void): Promise<DensityResult> {
  const image = `oci:${busyboxLayout()}:latest`;
  log(`density: ${PODS} idle rkt pods, then ${PODS} runc containers`);
  signal.throwIfAborted();
  const rkt = await measureRkt(workspace, image, log);
  signal.throwIfAborted();
  try {
    const runc = await measureRunc(workspace, image);
    return { rkt: rkt.side, rktParts: rkt.parts, runc };
  } catch (error) {
    return { rkt: rkt.side, rktParts: rkt.parts, runcUnavailable: (error as Error).message };
  }
}

export function densitySection(result: DensityResult, context: { date: Date; revision: string }): string {
  const mib = (kb: number) => (kb / 1024).toFixed(2);
  const row = (label: string, s: DensitySide) => `| ${label} | ${s.count} | ${mib(s.medianPss)} | ${mib(s.meanPss)} | ${mib(s.medianRss)} | ${(s.startMs / s.count).toFixed(0)} | ${(s.teardownMs / 1000).toFixed(1)} |`;
  const target = 2 * 1024;
  const verdict = result.rkt.medianPss <= target ? '**met**' : `**missed** by ${mib(result.rkt.medianPss - target)} MiB`;
  return [
    '## Density: memory per idle pod',
    '',
    `${PODS} pods started one after the other with \`rkt run --insecure-options=image --net=host IMAGE --exec=/bin/probe -- sleep 3600\` in the background (the busybox test image), each waited for until its app runs; then the memory of rkt's own processes per pod, read from \`/proc/PID/smaps_rollup\` with all ${PODS} up: the stage1 helper's outer process (what \`rkt run\` became by execve) and the pod's PID 1, not the apps. Then all are stopped with one \`rkt stop\` and removed with one \`rkt rm\`. runc for comparison: \`runc run\` in the foreground of a bundle of the same tree, which stays as the container's parent like rkt's helper (the container's init is the app itself, so runc's own process is all that is counted).`,
    '',
    '**Target**: at most 2 MiB per idle pod held by rkt\'s processes.',
    '',
    '| engine | pods | median PSS MiB/pod | mean PSS MiB/pod | median RSS MiB/pod | start ms/pod | stop + rm s (all) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    row("rkt (helper's outer process + pod PID 1)", result.rkt),
    result.runc ? row('runc run (foreground runc process)', result.runc) : `| runc | – | not measured: ${result.runcUnavailable ?? ''} | | | | |`,
    '',
    `| target | measured | verdict |\n|---|---|---|\n| ≤ 2 MiB per idle pod | ${mib(result.rkt.medianPss)} MiB PSS (outer ${mib(result.rktParts.outerPss)} + PID 1 ${mib(result.rktParts.pid1Pss)}), ${mib(result.rkt.medianRss)} MiB RSS | ${verdict} |`,
    '',
    "PSS is the fair share: the helper is one static binary whose text all 100 processes share. RSS counts every shared page in full for every process, so it overstates what each pod adds. runc's foreground process is a Go program (its runtime and heap), so it holds far more than rkt's C helper; with `--detach` runc leaves nothing resident, and a supervisor (containerd's shim, conmon) takes that role.",
    '',
    `Measured ${context.date.toISOString().slice(0, 10)} at ${context.revision} by \`npm run bench -- density\` (\`bench/density.ts\`).`,
  ].join('\n');
}
