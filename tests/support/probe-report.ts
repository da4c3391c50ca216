/** The JSON the probe (native/probe/probe.c) prints from inside a pod. */
import assert from 'node:assert/strict';

export interface ProbeMount {
  target: string;
  fstype: string;
  options: string;
  superOptions: string;
}

export interface ProbeFile {
  exists: boolean;
  type?: string;
  mode?: string;
  uid?: number;
  gid?: number;
  content?: string | null;
}

export interface ProbeReport {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  groups: number[];
  hostname: string;
  /** The NIS domain name (getdomainname), "(none)" when unset. */
  domainname: string;
  cwd: string;
  argv: string[];
  env: Record<string, string>;
  ns: Record<string, string>;
  mounts: ProbeMount[];
  caps: Record<string, string>;
  noNewPrivs: number;
  seccomp: number;
  /** Umask from /proc/self/status, four octal digits. */
  umask: string;
  fds: number[];
  /** stdin as a terminal: its name, whether it is the controlling terminal and in the foreground, its size. */
  tty: { stdin: boolean; name: string | null; controlling: boolean; foreground: boolean; rows?: number; cols?: number };
  /** --read-line: the line read from stdin first (null at end of file). */
  line?: string | null;
  /** "Max open files" of /proc/self/limits: [soft, hard] as the kernel prints them. */
  nofile: [string, string] | null;
  cgroup: string;
  /** /proc/self/uid_map and gid_map as the kernel prints them. */
  uidMap: string;
  gidMap: string;
  files: Record<string, ProbeFile>;
  tries: Record<string, string>;
  /** --try ACTION results: "ok" or an errno name. */
  actions: Record<string, string>;
}

export function parseProbeReport(stdout: string): ProbeReport {
  const line = stdout.split('\n').find((text) => text.startsWith('{'));
  assert.ok(line, `the probe printed no JSON; stdout was: ${stdout}`);
  return JSON.parse(line) as ProbeReport;
}

export function mountAt(report: ProbeReport, target: string): ProbeMount {
  const mount = [...report.mounts].reverse().find((entry) => entry.target === target);
  assert.ok(mount, `nothing is mounted at ${target} in the pod; mounts: ${report.mounts.map((m) => m.target).join(' ')}`);
  return mount;
}
