/**
 * Starts the layer extraction child (layer-extract-child) for one target directory and collects its
 * result. The child's module sits beside this one: build/src/store/*.js under tsc, and
 * dist/layer-extract-child.mjs beside dist/rkt.mjs in the esbuild bundle.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { extname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const CHILD_MODULE = fileURLToPath(new URL(`./layer-extract-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Enough for the child's one JSON line; a runaway child cannot fill memory. */
const MAX_OUTPUT = 64 * 1024;

export interface ChildFailure {
  code: string;
  message: string;
  entry: string;
}

export type ChildOutcome = { ok: true; summary: Record<string, unknown> } | { ok: false; failure: ChildFailure };

export interface ExtractChild {
  stdin: Writable;
  outcome: Promise<ChildOutcome>;
}

/** `aci`: the input is an ACI; only its `rootfs/` is extracted, as the layer's root. */
export function startExtractChild(targetDir: string, aci = false): ExtractChild {
  // A clean environment: nothing like NODE_OPTIONS from the caller reaches the child.
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(process.execPath, [CHILD_MODULE, targetDir, ...(aci ? ['--aci'] : [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {},
  });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const outcome = (async (): Promise<ChildOutcome> => {
    const [exitCode, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (exitCode === 0) return { ok: true, summary: parseLastJsonLine(stdout()) ?? {} };
    const reported = parseLastJsonLine(stderr());
    const failure: ChildFailure = {
      code: typeof reported?.code === 'string' ? reported.code : 'EXTRACT_FAILED',
      message: typeof reported?.message === 'string' ? reported.message : `extraction child ${signal ? `killed by ${signal}` : `exited with status ${exitCode}`}: ${stderr().slice(-500)}`,
      entry: typeof reported?.entry === 'string' ? reported.entry : '',
    };
    return { ok: false, failure };
  })();
  // The child may exit before reading all of its input (it failed); the outcome says why.
  child.stdin.on('error', () => {});
  return { stdin: child.stdin, outcome };
}

function collect(stream: Readable): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (text.length < MAX_OUTPUT) text += chunk.slice(0, MAX_OUTPUT - text.length);
  });
  return () => text;
}

function parseLastJsonLine(text: string): Record<string, unknown> | undefined {
  const line = text.trim().split('\n').pop();
  if (!line) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
