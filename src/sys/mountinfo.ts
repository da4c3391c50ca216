/** Reads this process's mount table, /proc/self/mountinfo (proc(5)). */
import fs from 'node:fs';

export interface MountEntry {
  mountPoint: string;
  fstype: string;
  /** Per-superblock options (for cgroup v1: the controllers of the hierarchy). */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 …). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function readMounts(text: string = fs.readFileSync('/proc/self/mountinfo', 'utf8')): MountEntry[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const fields = line.split(' ');
      const separator = fields.indexOf('-');
      return {
        mountPoint: unescapeMountField(fields[4] ?? ''),
        fstype: fields[separator + 1] ?? '',
        superOptions: (fields[separator + 3] ?? '').split(','),
      };
    });
}
