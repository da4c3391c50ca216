/**
 * Debian's docker-registry (distribution v2) on 127.0.0.1, plain HTTP, storage in a temp directory,
 * started by a test and stopped by it; images pushed with skopeo. Resumption is tested by putting
 * it behind a dropping proxy (dropping-proxy.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LocalRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  push(from: string, name: string): void;
  /** The manifest digest of NAME:TAG as the registry serves it. */
  digestOf(name: string): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function registryAvailable(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v docker-registry && command -v skopeo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    ['version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${dir}/data`, 'http:', `  addr: ${host}`, ''].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const up = await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 100) throw new Error(`docker-registry did not start on ${host}`);
    await sleep(50);
  }
  return {
    host,
    push: (from, name) => execFileSync('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', from, `docker://${host}/${name}`], { stdio: ['ignore', 'ignore', 'inherit'] }),
    digestOf: (name) => JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${host}/${name}`], { encoding: 'utf8' })).Digest as string,
    stop: async () => {
      const closed = new Promise((resolve) => child.on('close', resolve));
      child.kill('SIGTERM');
      await closed;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
