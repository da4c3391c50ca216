/**
 * One hyperfine invocation over several commands, read back from its JSON export. hyperfine runs in
 * its own process group so that an abort can stop it together with the command it is timing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface TimedCommand {
  label: string;
  /** A command line for hyperfine -N: split like a shell would, but run without one. */
  command: string;
}

export interface HyperfineRun {
  warmup: number;
  runs: number;
  exportJson: string;
  signal: AbortSignal;
}

interface HyperfineExport {
  results: { command: string; times: number[] }[];
}

/** Run times in milliseconds, one array per command, in the order given. */
export async function runHyperfine(commands: readonly TimedCommand[], options: HyperfineRun): Promise<number[][]> {
  options.signal.throwIfAborted();
  const args = ['-N', '--style', 'none', '--warmup', String(options.warmup), '--runs', String(options.runs), '--export-json', options.exportJson];
  for (const { label, command } of commands) args.push('--command-name', label, command);
  await new Promise<void>((resolve, reject) => {
    // stderr is kept for the error message only: on success it holds nothing but hyperfine's
    // outlier warnings, which this noisy machine triggers in every round.
    const child = spawn('hyperfine', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const stop = () => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    };
    options.signal.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      options.signal.removeEventListener('abort', stop);
      if (options.signal.aborted) reject(options.signal.reason);
      else if (status === 0) resolve();
      else reject(new Error(`hyperfine failed (${signal ?? `exit status ${status}`}): ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });
  const exported = JSON.parse(fs.readFileSync(options.exportJson, 'utf8')) as HyperfineExport;
  return exported.results.map((result) => result.times.map((seconds) => seconds * 1000));
}
