/**
 * OCI bundles for the rkt-oci tests: the busybox test image (with the probe) unpacked by umoci,
 * and a config.json from `runc spec` (the reference runtime's default) changed by each test.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { busyboxLayout } from './busybox-layout.js';
import { parseProbeReport, type ProbeReport } from './probe-report.js';
import { REPO_ROOT } from './project-paths.js';
import { runCommand, type RktResult } from './run-rkt.js';

export const RKT_OCI = path.join(REPO_ROOT, 'dist', 'rkt-oci');

let unpacked: string | undefined;

/** A rootfs unpacked once per test process; bundles bind to it through root.path. */
function sharedRootfs(): string {
  if (unpacked) return unpacked;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-rootfs-'));
  execFileSync('umoci', ['unpack', '--image', `${busyboxLayout()}:latest`, path.join(dir, 'bundle')], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  unpacked = path.join(dir, 'bundle', 'rootfs');
  return unpacked;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Config = Record<string, any>;

/** `runc spec` output, with the rootfs, no terminal and the probe as the program. */
export function defaultConfig(): Config {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-spec-'));
  execFileSync('runc', ['spec'], { cwd: dir });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Config;
  fs.rmSync(dir, { recursive: true, force: true });
  config.root = { path: sharedRootfs(), readonly: true };
  config.process.terminal = false;
  config.process.args = ['/bin/probe'];
  return config;
}

export function makeBundle(config: Config): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-bundle-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

export class OciRoot {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-root-'));

  run(...args: string[]): Promise<RktResult> {
    return runCommand(RKT_OCI, ['--root', this.dir, ...args]);
  }

  /**
   * create with the container's stdout and stderr in files: the helper keeps them open, so a pipe
   * would not reach EOF while the container lives. create's own stderr lands in `errors`.
   */
  async create(id: string, bundle: string, extra: string[] = []): Promise<RktResult & { output: string }> {
    const output = path.join(bundle, 'output');
    const errors = path.join(bundle, `errors-${id}`);
    const out = fs.openSync(output, 'a');
    const err = fs.openSync(errors, 'w');
    try {
      const result = await new Promise<RktResult>((resolve, reject) => {
        const child = spawn(RKT_OCI, ['--root', this.dir, 'create', '--bundle', bundle, ...extra, id], { stdio: ['ignore', out, err] });
        child.on('error', reject);
        child.on('exit', (status, signal) => resolve({ status, signal, stdout: '', stderr: '' }));
      });
      return { ...result, stderr: fs.readFileSync(errors, 'utf8'), output };
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
  }

  async state(id: string): Promise<Record<string, unknown>> {
    const result = await this.run('state', id);
    if (result.status !== 0) throw new Error(`state ${id}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  async waitFor(id: string, status: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.state(id);
      if (state.status === status) return state;
      if (Date.now() > deadline) throw new Error(`container ${id} is ${String(state.status)}, not ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** create, start, wait for the program (the probe) to exit, delete: what the probe reported. */
  async probe(id: string, config: Config): Promise<ProbeReport> {
    const bundle = makeBundle(config);
    const created = await this.create(id, bundle);
    assert.equal(created.status, 0, created.stderr);
    assert.equal((await this.run('start', id)).status, 0);
    await this.waitFor(id, 'stopped');
    const report = parseProbeReport(fs.readFileSync(created.output, 'utf8'));
    assert.equal((await this.run('delete', id)).status, 0);
    return report;
  }

  /** Removes what is left: containers (with --force) and the root. */
  async cleanup(): Promise<void> {
    for (const id of fs.existsSync(this.dir) ? fs.readdirSync(this.dir) : []) await this.run('delete', '--force', id);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
