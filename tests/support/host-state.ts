/** What a pod may leave on the host: mounts and processes. Tests compare before and after. */
import fs from 'node:fs';
import path from 'node:path';

/** Mount points under `dir`, read from the host's mount table. */
export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(dir + path.sep));
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function hostNamespaces(): Record<string, string> {
  const namespaces: Record<string, string> = {};
  for (const name of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts', 'user']) namespaces[name] = fs.readlinkSync(`/proc/self/ns/${name}`);
  return namespaces;
}
