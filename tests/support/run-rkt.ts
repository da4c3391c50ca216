/** Runs the real, bundled rkt CLI as a child process and collects what it did. */
import { spawn } from 'node:child_process';
import { RKT } from './project-paths.js';

export interface RktResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunRktOptions {
  /** Kills rkt after this long; a hung test should fail, not stall the suite. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function runRkt(dataDir: string, args: string[], options: RunRktOptions = {}): Promise<RktResult> {
  return runCommand(RKT, [`--dir=${dataDir}`, ...args], options);
}

export function runCommand(file: string, args: string[], options: RunRktOptions = {}): Promise<RktResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Starts rkt without waiting for it; for pods that must be running while the test looks at them. */
export function startRkt(dataDir: string, args: string[]) {
  return spawn(RKT, [`--dir=${dataDir}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
