/**
 * A real static web server for tests: busybox's httpd serving a directory on 127.0.0.1 (it answers
 * Range requests with 206 and sends ETag and Last-Modified, as an ordinary web server hosting ACIs
 * would; it ignores If-Range).
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './registry.js';

export interface StaticServer {
  /** `127.0.0.1:PORT` */
  host: string;
  stop(): Promise<void>;
}

export async function startBusyboxHttpd(dir: string): Promise<StaticServer> {
  const host = `127.0.0.1:${await freePort()}`;
  const child = spawn('busybox', ['httpd', '-f', '-p', host, '-h', dir], { stdio: 'ignore' });
  const closed = new Promise((resolve) => child.on('close', resolve));
  for (let i = 0; !(await fetch(`http://${host}/`).then(() => true, () => false)); i++) {
    if (i > 100) throw new Error(`busybox httpd did not start on ${host}`);
    await sleep(50);
  }
  return {
    host,
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
    },
  };
}
