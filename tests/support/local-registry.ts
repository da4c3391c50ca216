/**
 * Debian's docker-registry (distribution v2) on 127.0.0.1, plain HTTP, storage in a temp directory,
 * started by a test and stopped by it; images pushed with skopeo. Optionally behind a proxy that
 * drops the connection half-way through the first download of a blob, to test resumption.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
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

export interface DroppingProxy {
  host: string;
  /** Range headers seen on blob requests, in order ('' when there was none). */
  blobRanges: string[];
  stop(): Promise<void>;
}

/** Forwards to `target`; the first response for a blob larger than `cutAt` bytes is cut off after `cutAt` bytes. */
export async function startDroppingProxy(target: string, cutAt: number): Promise<DroppingProxy> {
  const blobRanges: string[] = [];
  let cut = false;
  const server = http.createServer((request, response) => {
    const isBlob = /\/blobs\/sha256:/.test(request.url ?? '');
    if (isBlob && request.method === 'GET') blobRanges.push(String(request.headers.range ?? ''));
    const upstream = http.request({ host: target.split(':')[0], port: Number(target.split(':')[1]), path: request.url, method: request.method, headers: { ...request.headers, host: target } }, (reply) => {
      const length = Number(reply.headers['content-length'] ?? 0);
      response.writeHead(reply.statusCode ?? 502, reply.headers);
      if (!(isBlob && !cut && reply.statusCode === 200 && length > cutAt)) {
        reply.pipe(response);
        return;
      }
      cut = true;
      let sent = 0;
      reply.on('data', (chunk: Buffer) => {
        const room = cutAt - sent;
        if (room > 0) response.write(chunk.subarray(0, room));
        sent += chunk.length;
        if (sent >= cutAt) {
          reply.destroy();
          response.socket?.destroy();
        }
      });
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    blobRanges,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
