/**
 * Start latency of a cached image, rkt against runc and systemd-nspawn. hyperfine runs all of a
 * command's runs before the next command's, so on a noisy machine a slow spell would land on one
 * command only: the runs are split into rounds with the order rotated each round, and pooled.
 */
import { runHyperfine } from './hyperfine.js';
import { median, quantile } from './stats.js';
import { prepareCommands, type BenchCommand, type CommandKey } from './start-latency-commands.js';
import type { Workspace } from './workspace.js';

export const PLAN = { rounds: 5, warmup: 3, runsPerRound: 20 };

export interface Timing {
  median: number;
  p25: number;
  p75: number;
  /** The median of each round, to show how much rounds disagree. */
  roundMedians: number[];
}

export interface Measured extends BenchCommand {
  timing?: Timing;
}

export interface StartLatencyResult {
  commands: Measured[];
  /** The busybox image layout, for the report to name instead of its temp path. */
  layout: string;
}

export function timingOf(result: StartLatencyResult, key: CommandKey): Timing | undefined {
  return result.commands.find((command) => command.key === key)?.timing;
}

export async function measureStartLatency(workspace: Workspace, signal: AbortSignal, log: (line: string) => void): Promise<StartLatencyResult> {
  log('start latency: building the busybox image and preparing rkt, runc and systemd-nspawn');
  const { commands, layout } = prepareCommands(workspace);
  for (const command of commands) if (command.unavailable) log(`  ${command.label}: not available (${command.unavailable})`);
  const timed = commands.filter((command) => command.unavailable === undefined);

  const samples = new Map<CommandKey, number[][]>(timed.map((command) => [command.key, []]));
  for (let round = 0; round < PLAN.rounds; round++) {
    const order = timed.map((_, i) => timed[(i + round) % timed.length]!);
    const times = await runHyperfine(order, {
      warmup: PLAN.warmup,
      runs: PLAN.runsPerRound,
      exportJson: workspace.path(`start-latency-round-${round + 1}.json`),
      signal,
    });
    order.forEach((command, i) => samples.get(command.key)!.push(times[i]!));
    log(`  round ${round + 1}/${PLAN.rounds}: ${order.map((command, i) => `${command.label} ${median(times[i]!).toFixed(1)} ms`).join(', ')}`);
  }

  return {
    layout,
    commands: commands.map((command) => {
      const rounds = samples.get(command.key);
      if (rounds === undefined) return command;
      const all = rounds.flat();
      return { ...command, timing: { median: median(all), p25: quantile(all, 0.25), p75: quantile(all, 0.75), roundMedians: rounds.map(median) } };
    }),
  };
}
