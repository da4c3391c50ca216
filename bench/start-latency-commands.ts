/**
 * The commands the start-latency benchmark times, each made ready and run once before timing: rkt
 * must extract its layer before the timed runs (a cached image), and a peer that cannot run here is
 * reported with its reason instead of failing the whole bench.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { busyboxLayout } from '../tests/support/busybox-layout.js';
import { REPO_ROOT } from '../tests/support/project-paths.js';
import { prepareNspawnRoot, prepareRuncBundle, unpackImage } from './peer-roots.js';
import { commandLine } from './shell-words.js';
import type { Workspace } from './workspace.js';

export type CommandKey = 'rkt-run' | 'rkt-run-rm' | 'rkt-run-net-rm' | 'runc' | 'nspawn' | 'node' | 'rkt-version';

export interface BenchCommand {
  key: CommandKey;
  label: string;
  command: string;
  /** Why it cannot run on this machine; such a command is not timed. */
  unavailable?: string;
}

const IMAGE_TAG = 'latest';

/** Runs an argv once, untimed; returns why it failed, or undefined. */
function tryOnce(argv: readonly string[]): string | undefined {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error) return result.error.message;
  if (result.status === 0) return undefined;
  const lastLine = result.stderr.trim().split('\n').at(-1);
  return `${result.signal ?? `exit status ${result.status}`}${lastLine ? `: ${lastLine}` : ''}`;
}

/** A warm-up run has to leave the image's layer extracted, or the timed runs would not be "cached". */
function requireExtractedLayer(dataDir: string): void {
  const layers = path.join(dataDir, 'cas', 'layers', 'sha256');
  const extracted = fs.existsSync(layers) && fs.readdirSync(layers).some((hex) => fs.existsSync(path.join(layers, hex, 'layer.json')));
  if (!extracted) throw new Error(`the warm-up rkt run left no extracted layer in ${layers}`);
}

interface RktCommands {
  run: BenchCommand;
  runThenRm: BenchCommand;
  /** With rkt's default CNI network; rm after each run, or hundreds of runs would use up its /24. */
  netThenRm: BenchCommand;
  node: BenchCommand;
  version: BenchCommand;
}

function rktCommands(workspace: Workspace, image: string): RktCommands {
  const rkt = path.join(REPO_ROOT, 'dist', 'rkt.mjs');
  if (!fs.existsSync(rkt)) throw new Error(`${rkt} is missing; run \`npm run build\` first`);
  // The same node binary for rkt as for the `node -e 0` floor, so their difference is rkt's own.
  const node = process.execPath;
  const runArgs = (...flags: string[]) => ['run', '--insecure-options=image', '--net=host', ...flags, image, '--exec', '/bin/true'];
  const runThenRmArgv = (dataDir: string, uuidFile: string, net: string) => [
    'sh',
    '-c',
    `${commandLine([node, rkt, `--dir=${dataDir}`, ...runArgs(`--uuid-file-save=${uuidFile}`).map((arg) => (arg === '--net=host' ? `--net=${net}` : arg))])} && ${commandLine([node, rkt, `--dir=${dataDir}`, 'rm', `--uuid-file=${uuidFile}`])}`,
  ];

  // Separate data dirs: pods left by the run-only case (exited, awaiting gc) stay out of `rkt rm`'s way.
  const runDir = workspace.path('rkt-run');
  const run = [node, rkt, `--dir=${runDir}`, ...runArgs()];

  const rmDir = workspace.path('rkt-run-rm');
  const uuidFile = workspace.path('rkt-run-rm.uuid');
  const runThenRm = runThenRmArgv(rmDir, uuidFile, 'host');
  const netDir = workspace.path('rkt-run-net-rm');
  const netThenRm = runThenRmArgv(netDir, workspace.path('rkt-run-net-rm.uuid'), 'default');

  for (const [argv, dataDir] of [
    [run, runDir],
    [runThenRm, rmDir],
    [netThenRm, netDir],
  ] as const) {
    const failure = tryOnce(argv);
    if (failure !== undefined) throw new Error(`the warm-up \`rkt run\` failed (${failure}): ${commandLine(argv)}`);
    requireExtractedLayer(dataDir);
  }
  return {
    run: { key: 'rkt-run', label: 'rkt run --net=host', command: commandLine(run) },
    runThenRm: { key: 'rkt-run-rm', label: 'rkt run --net=host, then rkt rm', command: commandLine(runThenRm) },
    netThenRm: { key: 'rkt-run-net-rm', label: 'rkt run --net=default, then rkt rm', command: commandLine(netThenRm) },
    node: { key: 'node', label: 'node -e 0', command: commandLine([node, '-e', '0']) },
    version: { key: 'rkt-version', label: 'node dist/rkt.mjs version', command: commandLine([node, rkt, 'version']) },
  };
}

function runcCommand(workspace: Workspace, rootfs: string): BenchCommand {
  const bundle = workspace.path('runc-bundle');
  // One fixed id: `runc run` deletes its container on exit (unless --keep), and one left behind
  // would make the next run fail on the id, so every timed run also checks the deletion.
  const id = `rkt-bench-${process.pid}`;
  const argv = ['runc', 'run', '-b', bundle, id];
  workspace.removeIfCreated('/run/runc');
  workspace.defer(`runc delete --force ${id}`, () => {
    if (spawnSync('runc', ['state', id], { stdio: 'ignore' }).status === 0) spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
  });
  const base = { key: 'runc' as const, label: 'runc run', command: commandLine(argv) };
  try {
    prepareRuncBundle(bundle, rootfs);
  } catch (error) {
    return { ...base, unavailable: `runc spec failed: ${(error as Error).message}` };
  }
  const failure = tryOnce(argv);
  return failure === undefined ? base : { ...base, unavailable: failure };
}

function nspawnCommand(workspace: Workspace, rootfs: string): BenchCommand {
  const root = workspace.path('nspawn-root');
  const argv = ['systemd-nspawn', '--register=no', '--keep-unit', '-q', '-D', root, '/bin/true'];
  workspace.removeIfCreated('/run/systemd/nspawn');
  prepareNspawnRoot(root, rootfs);
  const failure = tryOnce(argv);
  const base = { key: 'nspawn' as const, label: 'systemd-nspawn', command: commandLine(argv) };
  return failure === undefined ? base : { ...base, unavailable: failure };
}

export function prepareCommands(workspace: Workspace): { commands: BenchCommand[]; layout: string } {
  const layout = busyboxLayout();
  const image = `${layout}:${IMAGE_TAG}`;
  const rootfs = unpackImage(image, workspace.path('unpacked'));
  const rkt = rktCommands(workspace, `oci:${image}`);
  return { commands: [rkt.run, rkt.runThenRm, rkt.netThenRm, runcCommand(workspace, rootfs), nspawnCommand(workspace, rootfs), rkt.node, rkt.version], layout };
}
