/**
 * The root filesystems the peers run: the very tree rkt's pods see, unpacked from the same image by
 * umoci, so that every contender starts /bin/true from identical files.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function run(file: string, args: string[], cwd?: string): void {
  execFileSync(file, args, { stdio: ['ignore', 'ignore', 'inherit'], ...(cwd === undefined ? {} : { cwd }) });
}

/** `umoci unpack` of IMAGE into DIR; returns the tree (DIR/rootfs). */
export function unpackImage(image: string, dir: string): string {
  run('umoci', ['unpack', '--image', image, dir]);
  return path.join(dir, 'rootfs');
}

interface RuncSpec {
  process: { args: string[]; terminal: boolean };
  root: { path: string; readonly?: boolean };
  linux: { namespaces: { type: string }[] };
}

/**
 * `runc spec`'s defaults, changed only where the comparison needs it: /bin/true without a terminal,
 * and no network namespace, which is what `rkt run --net=host` does too. The root stays read-only
 * as `runc spec` makes it; rkt's overlay is writable, which costs rkt, not runc, a little.
 */
export function prepareRuncBundle(dir: string, rootfs: string): void {
  fs.mkdirSync(dir);
  run('runc', ['spec'], dir);
  const file = path.join(dir, 'config.json');
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as RuncSpec;
  spec.process.args = ['/bin/true'];
  spec.process.terminal = false;
  spec.root.path = rootfs;
  spec.linux.namespaces = spec.linux.namespaces.filter((namespace) => namespace.type !== 'network');
  fs.writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
}

/**
 * systemd-nspawn refuses a root without /usr ("doesn't look like it has an OS tree") and writes
 * mount points into the tree it runs: it gets its own copy, with an empty /usr.
 */
export function prepareNspawnRoot(dir: string, rootfs: string): void {
  run('cp', ['-a', rootfs, dir]);
  fs.mkdirSync(path.join(dir, 'usr'), { recursive: true });
}
