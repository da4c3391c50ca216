/** What a reader needs to judge the numbers: the hardware, the kernel, and the versions timed. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpu: string;
  nproc: number;
  kernel: string;
  os: string;
  cgroups: string;
  node: string;
  loadAverage: string;
  tools: Record<string, string>;
}

function firstLine(file: string, args: string[]): string {
  const result = spawnSync(file, args, { encoding: 'utf8' });
  return result.status === 0 ? (result.stdout.split('\n')[0] ?? '').trim() : 'not available';
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Pure v2, hybrid (v1 controllers plus an empty unified mount) or v1: runc's cgroup work differs. */
function cgroupLayout(): string {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'v2 (unified)';
  return fs.existsSync('/sys/fs/cgroup/unified') ? 'hybrid (v1 controllers + v2 mount)' : 'v1';
}

export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    nproc: os.availableParallelism(),
    kernel: os.release(),
    os: osName(),
    cgroups: cgroupLayout(),
    node: process.version,
    loadAverage: os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' '),
    tools: {
      runc: firstLine('runc', ['--version']),
      'systemd-nspawn': firstLine('systemd-nspawn', ['--version']),
      hyperfine: firstLine('hyperfine', ['--version']),
      umoci: firstLine('umoci', ['--version']),
    },
  };
}
