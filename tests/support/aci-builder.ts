/**
 * ACIs built at test time with the project's own tar writer: a `manifest` (appc 0.8.11 image
 * manifest) and `rootfs/` holding what the test asks for, optionally with busybox-static and the
 * probe, plus /etc/passwd and /etc/group.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { type LayerEntry, packLayerTar } from '../../src/image/pack-layer-tar.js';
import { PROBE } from './project-paths.js';

export interface AciSpec {
  name: string;
  version?: string;
  labels?: Record<string, string>;
  app?: Record<string, unknown>;
  dependencies?: Record<string, unknown>[];
  pathWhitelist?: string[];
  /** busybox (with sh, cat, echo, id, ls, pwd, env, test links) and /bin/probe. */
  busybox?: boolean;
  files?: Record<string, string>;
}

export function aciManifest(spec: AciSpec): Record<string, unknown> {
  const labels = [
    ...(spec.version ? [{ name: 'version', value: spec.version }] : []),
    { name: 'os', value: 'linux' },
    { name: 'arch', value: 'amd64' },
    ...Object.entries(spec.labels ?? {}).map(([name, value]) => ({ name, value })),
  ];
  return {
    acKind: 'ImageManifest',
    acVersion: '0.8.11',
    name: spec.name,
    labels,
    ...(spec.app ? { app: spec.app } : {}),
    ...(spec.dependencies ? { dependencies: spec.dependencies } : {}),
    ...(spec.pathWhitelist ? { pathWhitelist: spec.pathWhitelist } : {}),
  };
}

export async function buildAci(spec: AciSpec, manifestOverride?: unknown): Promise<Buffer> {
  const entries: LayerEntry[] = [
    { path: 'manifest', type: 'file', content: JSON.stringify(manifestOverride ?? aciManifest(spec)) },
    { path: 'rootfs', type: 'dir' },
  ];
  if (spec.busybox) {
    entries.push({ path: 'rootfs/bin', type: 'dir' }, { path: 'rootfs/etc', type: 'dir' });
    entries.push({ path: 'rootfs/bin/busybox', type: 'file', mode: 0o755, content: fs.readFileSync('/bin/busybox') });
    for (const applet of ['sh', 'cat', 'echo', 'id', 'ls', 'pwd', 'env', 'test', 'true']) entries.push({ path: `rootfs/bin/${applet}`, type: 'symlink', linkTarget: 'busybox' });
    entries.push({ path: 'rootfs/bin/probe', type: 'file', mode: 0o755, content: fs.readFileSync(PROBE) });
    entries.push({ path: 'rootfs/etc/passwd', type: 'file', content: 'root:x:0:0:root:/root:/bin/sh\nappuser:x:1234:1234:app:/home/app:/bin/sh\n' });
    entries.push({ path: 'rootfs/etc/group', type: 'file', content: 'root:x:0:\nappgroup:x:1234:\nextra:x:4321:appuser\n' });
  }
  for (const [file, content] of Object.entries(spec.files ?? {})) {
    const parts = file.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `rootfs/${parts.slice(0, i).join('/')}`;
      if (!entries.some((entry) => entry.path === dir)) entries.push({ path: dir, type: 'dir' });
    }
    entries.push({ path: `rootfs/${parts.join('/')}`, type: 'file', content });
  }
  return packLayerTar(entries);
}

export function compress(tar: Buffer, tool: 'gzip' | 'bzip2' | 'xz'): Buffer {
  return execFileSync(tool, ['-c'], { input: tar, maxBuffer: 256 * 1024 * 1024 });
}
