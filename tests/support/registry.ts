/**
 * Debian's `docker-registry` (distribution 2.8) started by a test on 127.0.0.1, a free port and a
 * temp storage directory, with the test's own config (never the packaged one): plain HTTP, HTTPS
 * with a test CA, htpasswd basic auth, or token auth. `pushToRegistry` copies an OCI layout into it
 * with skopeo.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RegistryTls {
  cert: string;
  key: string;
}

export interface RegistryTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
}

export interface StartRegistryOptions {
  tls?: RegistryTls;
  /** An htpasswd file (bcrypt entries). */
  htpasswd?: string;
  token?: RegistryTokenAuth;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  storage: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function configYaml(port: number, storage: string, options: StartRegistryOptions): string {
  const lines = [
    'version: 0.1',
    'log: {level: error, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${JSON.stringify(storage)}}, delete: {enabled: true}}`,
    'health: {storagedriver: {enabled: false}}',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: rkt-test-secret',
  ];
  if (options.tls) lines.push(`  tls: {certificate: ${JSON.stringify(options.tls.cert)}, key: ${JSON.stringify(options.tls.key)}}`);
  if (options.htpasswd) lines.push(`auth: {htpasswd: {realm: rkt-test, path: ${JSON.stringify(options.htpasswd)}}}`);
  if (options.token) {
    const t = options.token;
    lines.push(`auth: {token: {realm: ${JSON.stringify(t.realm)}, service: ${JSON.stringify(t.service)}, issuer: ${JSON.stringify(t.issuer)}, rootcertbundle: ${JSON.stringify(t.rootCertBundle)}}}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-test-registry-'));
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage);
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, configYaml(port, storage, options));
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const host = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(host, options.tls !== undefined, child);
  } catch (error) {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`docker-registry did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    host,
    storage,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(host: string, tls: boolean, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with status ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const req = (tls ? https : http).get(`${tls ? 'https' : 'http'}://${host}/v2/`, { rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface PushOptions {
  /** `user:password` for the registry. */
  creds?: string;
  /** Copy every image of an index (skopeo --all), as for a multi-arch image. */
  all?: boolean;
}

/**
 * `skopeo copy oci:LAYOUT:TAG docker://HOST/NAME:TAG`; TLS verification off (test CA). Async, so a
 * token issuer running in the test process can answer skopeo.
 */
export function pushToRegistry(source: string, destination: string, options: PushOptions = {}): Promise<void> {
  const args = ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false'];
  if (options.creds) args.push('--dest-creds', options.creds);
  if (options.all) args.push('--all');
  args.push(source, destination);
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, (error, _stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve()));
  });
}

/** An htpasswd file with one bcrypt entry, made by apache2-utils' `htpasswd -B`. */
export function writeHtpasswd(file: string, user: string, password: string): void {
  execFileSync('htpasswd', ['-Bbc', file, user, password], { stdio: ['ignore', 'ignore', 'pipe'] });
}
