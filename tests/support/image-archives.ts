/** Image archives made by skopeo from the test's busybox layout: what users get from `docker save` and friends. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxLayout } from './busybox-layout.js';

let dir: string | undefined;

function workDir(): string {
  if (dir) return dir;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-test-archives-'));
  const made = dir;
  process.on('exit', () => fs.rmSync(made, { recursive: true, force: true }));
  return made;
}

function skopeoCopy(from: string, to: string): void {
  execFileSync('skopeo', ['--insecure-policy', 'copy', '--quiet', from, to], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** `skopeo copy oci:LAYOUT:latest docker-archive:FILE:busybox:latest`, made once. */
export function busyboxDockerArchive(): string {
  const file = path.join(workDir(), 'busybox-docker.tar');
  if (!fs.existsSync(file)) skopeoCopy(`oci:${busyboxLayout()}:latest`, `docker-archive:${file}:busybox:latest`);
  return file;
}

/** `skopeo copy oci:LAYOUT:latest oci-archive:FILE:latest`, made once. */
export function busyboxOciArchive(): string {
  const file = path.join(workDir(), 'busybox-oci.tar');
  if (!fs.existsSync(file)) skopeoCopy(`oci:${busyboxLayout()}:latest`, `oci-archive:${file}:latest`);
  return file;
}
