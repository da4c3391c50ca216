/**
 * Pods on real CNI networks (the Debian plugins, real iptables): rkt's default network, a user's
 * bridge network, --net=none, port forwarding, DNS and hosts files; and nothing left on the host
 * after rm, or after gc of pods killed with SIGKILL. Traffic goes only to loopback, the host's
 * own addresses, and addresses inside the pods' namespaces.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { busyboxLayout } from '../support/busybox-layout.js';
import { hostIPv4, hostNetState, type HostNetState } from '../support/net-state.js';
import { runRkt, startRkt } from '../support/run-rkt.js';
import { makeDataDir, removeDataDir } from '../support/temp-data-dir.js';

const dataDir = makeDataDir('net');
const children: ChildProcess[] = [];
let initial: HostNetState;

before(() => {
  initial = hostNetState();
});
after(async () => {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(running.map((child) => new Promise((resolve) => { child.on('close', resolve); child.kill('SIGKILL'); })));
  removeDataDir(dataDir);
});

/** busybox's static wget crashes in a pod without NSS files; nc speaks HTTP/1.0 well enough. */
const fetchInPod = (url: string) => {
  const { hostname, port, pathname } = new URL(url);
  return `printf 'GET ${pathname} HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${hostname} ${port || '80'}`;
};

const image = (tag: string) => `oci:${busyboxLayout()}:${tag}`;

function httpGet(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

async function eventually<T>(what: string, attempt: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface RunningPod {
  uuid: string;
  child: ChildProcess;
  ip: string;
}

/** Starts a long-running pod and waits until rkt status shows its address on `network`. */
async function startPod(name: string, args: string[], network = 'default'): Promise<RunningPod> {
  const uuidFile = path.join(dataDir, `uuid-${name}`);
  const child = startRkt(dataDir, ['run', '--insecure-options=image', `--uuid-file-save=${uuidFile}`, ...args]);
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const uuid = await eventually(`pod ${name} to be created (${stderr})`, () => (fs.existsSync(uuidFile) ? fs.readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  const ip = await eventually(`pod ${name} to be running on ${network} (${stderr})`, async () => {
    const status = await runRkt(dataDir, ['status', uuid]);
    if (!/^state=running$/m.test(status.stdout) || !/^pid=/m.test(status.stdout)) return undefined;
    return new RegExp(`^networks=.*\\b${network}:ip4=([0-9.]+)`, 'm').exec(status.stdout)?.[1];
  });
  return { uuid, child, ip };
}

async function stopPod(pod: RunningPod): Promise<void> {
  const closed = new Promise((resolve) => pod.child.on('close', resolve));
  pod.child.kill('SIGTERM');
  await closed;
}

async function removePod(uuid: string): Promise<void> {
  const rm = await runRkt(dataDir, ['rm', uuid]);
  assert.equal(rm.status, 0, rm.stderr);
}

function assertHostClean(what: string): void {
  assert.deepEqual(hostNetState(), initial, `${what} left network state on the host`);
}

test('two pods on the default network reach each other and the host; list and status show their addresses', async () => {
  const server = await startPod('server', [image('httpd')]);
  assert.match(server.ip, /^172\.16\.28\.\d+$/);
  // The host reaches the pod (a route to its address through its veth).
  assert.equal(await eventually('httpd in the pod', () => httpGet(`http://${server.ip}/index.html`)), 'hello from a pod\n');

  // A server on the host's end of the pod's link (ptp gives the host side the gateway address).
  const host = http.createServer((_request, response) => response.end('hello from the host\n'));
  await new Promise<void>((resolve) => host.listen(0, '172.16.28.1', resolve));
  const hostPort = (host.address() as { port: number }).port;
  try {
    const client = await runRkt(dataDir, [
      'run', '--insecure-options=image', image('latest'), '--exec=/bin/sh', '--',
      '-c', `${fetchInPod(`http://${server.ip}/index.html`)} && ${fetchInPod(`http://172.16.28.1:${hostPort}/`)} && ip -o -4 addr show eth0`,
    ]);
    assert.equal(client.status, 0, client.stderr);
    assert.match(client.stdout, /^HTTP\/1\.[01] 200[\s\S]*\r\n\r\nhello from a pod\n/);
    assert.match(client.stdout, /\r\n\r\nhello from the host\n/);
    assert.match(client.stdout, /eth0\s+inet 172\.16\.28\.\d+\/24/);
  } finally {
    host.close();
  }

  const list = await runRkt(dataDir, ['list', '--full']);
  assert.match(list.stdout, new RegExp(`${server.uuid}.*running.*default:ip4=${server.ip.replace(/\./g, '\\.')}`));
  const json = JSON.parse((await runRkt(dataDir, ['status', '--format=json', server.uuid])).stdout) as { networks: unknown[] };
  assert.deepEqual(json.networks, [{ netName: 'default', ifName: 'eth0', ip: server.ip }]);

  await stopPod(server);
  for (const line of (await runRkt(dataDir, ['list', '--full', '--no-legend'])).stdout.split('\n').filter(Boolean)) await removePod(line.split(/\s+/)[0]!);
  assertHostClean('rm of two pods on the default network');
});

test('--port forwards a host port to the pod, on the host address and on localhost; the pod manifest records it', async () => {
  const hostPort = 18000 + Math.floor(Math.random() * 1000);
  const pod = await startPod('ports', ['--port=80-tcp:' + hostPort, image('httpd')]);
  const manifest = JSON.parse((await runRkt(dataDir, ['cat-manifest', pod.uuid])).stdout) as { ports: unknown[] };
  assert.deepEqual(manifest.ports, [{ name: '80-tcp', hostPort }]);
  assert.equal(await eventually('the forwarded port on localhost', () => httpGet(`http://127.0.0.1:${hostPort}/index.html`)), 'hello from a pod\n');
  assert.equal(await httpGet(`http://${hostIPv4()}:${hostPort}/index.html`), 'hello from a pod\n');
  const curl = execFileSync('curl', ['-sS', '--max-time', '5', `http://localhost:${hostPort}/index.html`], { encoding: 'utf8' });
  assert.equal(curl, 'hello from a pod\n');
  const nat = execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
  assert.match(nat, new RegExp(`-A RKT-PFWD-DNAT-${pod.uuid.slice(0, 8)} .*--dport ${hostPort} -j DNAT --to-destination ${pod.ip.replace(/\./g, '\\.')}:80`));
  await stopPod(pod);
  await removePod(pod.uuid);
  assertHostClean('rm of a pod with a forwarded port');
});

test('--port given to prepare is in the pod manifest and forwarded by run-prepared', async () => {
  const hostPort = 20000 + Math.floor(Math.random() * 1000);
  const prepared = await runRkt(dataDir, ['prepare', '--quiet', '--insecure-options=image', `--port=80-tcp:127.0.0.1:${hostPort}`, image('httpd')]);
  assert.equal(prepared.status, 0, prepared.stderr);
  const uuid = prepared.stdout.trim();
  const manifest = JSON.parse((await runRkt(dataDir, ['cat-manifest', uuid])).stdout) as { ports: unknown[] };
  assert.deepEqual(manifest.ports, [{ name: '80-tcp', hostPort, hostIP: '127.0.0.1' }]);
  const child = startRkt(dataDir, ['run-prepared', uuid]);
  children.push(child);
  const pod = { uuid, child, ip: '' };
  assert.equal(await eventually('the port forwarded by run-prepared', () => httpGet(`http://127.0.0.1:${hostPort}/index.html`)), 'hello from a pod\n');
  await stopPod(pod);
  await removePod(uuid);
  assertHostClean('rm of a prepared pod with a forwarded port');
});

test('--port of a prepared pod needs a CNI network at run-prepared; a port no image declares fails at prepare', async () => {
  const prepared = await runRkt(dataDir, ['prepare', '--quiet', '--insecure-options=image', '--port=80-tcp:20999', image('httpd')]);
  assert.equal(prepared.status, 0, prepared.stderr);
  const uuid = prepared.stdout.trim();
  const host = await runRkt(dataDir, ['run-prepared', '--net=host', uuid]);
  assert.equal(host.status, 254);
  assert.match(host.stderr, /--port cannot be used with --net=host/);
  await removePod(uuid);
  const unknown = await runRkt(dataDir, ['prepare', '--quiet', '--insecure-options=image', '--port=81-tcp:20998', image('httpd')]);
  assert.equal(unknown.status, 254);
  assert.match(unknown.stderr, /no app's image declares a port named "81-tcp"/);
});

test('gc after kill -9 of a pod on the default network with a forwarded port cleans up everything', async () => {
  const pod = await startPod('killed', ['--port=80-tcp:' + (19000 + Math.floor(Math.random() * 1000)), image('httpd')]);
  const closed = new Promise((resolve) => pod.child.on('close', resolve));
  pod.child.kill('SIGKILL');
  await closed;
  assert.notDeepEqual(hostNetState(), initial, 'the killed pod\'s network is still set up before gc');
  const gc = await runRkt(dataDir, ['gc', '--grace-period=0s']);
  assert.equal(gc.status, 0, gc.stderr);
  assert.match(gc.stdout, new RegExp(`Garbage collecting pod "${pod.uuid}"`));
  assertHostClean('gc of a pod killed with SIGKILL');
});

/**
 * A ptp network named `name` whose plugin is a shell script of the test's, found in
 * <local-config>/net.d as rkt searches plugins; `script(localConfig)` is the script's body. Returns
 * the local config dir and what removes host-local's lease directory if this network made it.
 */
function scriptedPtpNetwork(name: string, subnet: string, script: (localConfig: string) => string): { localConfig: string; forgetLeases: () => void } {
  const localConfig = fs.mkdtempSync(path.join(dataDir, 'config-'));
  const netDir = path.join(localConfig, 'net.d');
  fs.mkdirSync(netDir);
  const ipamDir = `/var/lib/cni/networks/${name}`;
  const hadIpamDir = fs.existsSync(ipamDir);
  fs.writeFileSync(path.join(netDir, `${name}ptp`), `#!/bin/sh\n${script(localConfig)}`, { mode: 0o755 });
  fs.writeFileSync(path.join(netDir, `10-${name}.conf`), JSON.stringify({
    cniVersion: '0.4.0', name, type: `${name}ptp`, ipMasq: true, ipam: { type: 'host-local', subnet },
  }));
  return { localConfig, forgetLeases: () => (hadIpamDir ? undefined : fs.rmSync(ipamDir, { recursive: true, force: true })) };
}

test('gc cleans up after kill -9 of rkt run in the middle of its CNI set-up', async () => {
  // A plugin that does ptp's work, then hangs, as a stuck one would.
  const pidFileOf = (localConfig: string) => path.join(localConfig, 'plugin.pid');
  const { localConfig, forgetLeases } = scriptedPtpNetwork('slow', '172.31.251.0/24', (dir) => `/usr/lib/cni/ptp || exit\n[ "$CNI_COMMAND" = ADD ] || exit 0\necho $$ > ${pidFileOf(dir)}\nexec sleep 60\n`);
  const pidFile = pidFileOf(localConfig);
  const child = startRkt(dataDir, [`--local-config=${localConfig}`, 'run', '--insecure-options=image', '--net=slow', image('latest')]);
  children.push(child);
  const pluginPid = await eventually('the plugin to have done its ADD', () => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) || undefined : undefined));
  assert.notDeepEqual(hostNetState(), initial, 'the pod\'s namespace, veth, lease and rules exist');
  const closed = new Promise((resolve) => child.on('close', resolve));
  child.kill('SIGKILL');
  await closed;
  process.kill(pluginPid, 'SIGKILL');
  // No --local-config: teardown uses what net-info.json recorded, the plugin's directory included.
  const gc = await runRkt(dataDir, ['gc', '--grace-period=0s']);
  assert.equal(gc.status, 0, gc.stderr);
  assert.match(gc.stderr, /\(aborted prepare\) to garbage/);
  forgetLeases();
  assertHostClean('gc of a pod whose rkt run was killed during CNI ADD');
});

test('a CNI DEL that fails keeps the pod\'s namespace for the next rm, which then removes everything', async () => {
  // A fault we cannot cause with the real plugin alone: ptp, whose DEL fails while a marker exists.
  // ptp undoes its masquerading only through the address it finds in the namespace, so a namespace
  // removed after a failed DEL would leave the pod's iptables rules behind for good.
  const refuseOf = (localConfig: string) => path.join(localConfig, 'refuse-del');
  const { localConfig, forgetLeases } = scriptedPtpNetwork('flaky', '172.31.252.0/24', (dir) =>
    `if [ "$CNI_COMMAND" = DEL ] && [ -e ${refuseOf(dir)} ]; then echo '{"cniVersion":"0.4.0","code":999,"msg":"DEL refused by the test"}'; exit 1; fi\nexec /usr/lib/cni/ptp\n`);
  const refuse = refuseOf(localConfig);
  const uuidFile = path.join(localConfig, 'uuid');
  const run = await runRkt(dataDir, [`--local-config=${localConfig}`, 'run', '--insecure-options=image', '--net=flaky', `--uuid-file-save=${uuidFile}`, image('latest'), '--exec=/bin/true']);
  assert.equal(run.status, 0, run.stderr);
  const uuid = fs.readFileSync(uuidFile, 'utf8').trim();
  const masquerading = () => hostNetState().nat.filter((rule) => rule.includes(uuid));
  assert.notDeepEqual(masquerading(), [], 'the pod\'s masquerading rules are there');
  fs.writeFileSync(refuse, '');
  try {
    const refused = await runRkt(dataDir, ['rm', uuid]);
    assert.notEqual(refused.status, 0, 'rm reports the failed DEL');
    assert.match(refused.stderr, /DEL refused by the test \[CNI error 999\]/, 'the plugin\'s own error, though it never read its input');
    assert.ok(hostNetState().netns.some((name) => name.includes(uuid)), 'the namespace is kept for the next try');
  } finally {
    fs.rmSync(refuse); // even if a check failed: the data dir's gc must be able to clean up
  }
  const removed = await runRkt(dataDir, ['rm', uuid]);
  assert.equal(removed.status, 0, removed.stderr);
  assert.deepEqual(masquerading(), [], 'the retried DEL found the address and removed the rules');
  forgetLeases();
  assertHostClean('rm retried after a failed CNI DEL');
});

test('a user-defined bridge network from <local-config>/net.d, with CNI_ARGS from --net=NAME:IP=…', async () => {
  const localConfig = fs.mkdtempSync(path.join(dataDir, 'config-'));
  fs.mkdirSync(path.join(localConfig, 'net.d'));
  const bridge = `rkttb${process.pid % 100000}`;
  const ipamDir = '/var/lib/cni/networks/testbr';
  const hadIpamDir = fs.existsSync(ipamDir);
  fs.writeFileSync(path.join(localConfig, 'net.d', '10-testbr.conf'), JSON.stringify({
    cniVersion: '1.0.0', name: 'testbr', type: 'bridge', bridge, isGateway: true, ipMasq: false,
    ipam: { type: 'host-local', subnet: '172.31.250.0/24', routes: [{ dst: '172.31.250.0/24' }] },
  }));
  try {
    const result = await runRkt(dataDir, [
      `--local-config=${localConfig}`, 'run', '--insecure-options=image', '--net=testbr:IgnoreUnknown=1;IP=172.31.250.77',
      image('latest'), '--exec=/bin/sh', '--', '-c', 'ip -o -4 addr show eth0; ping -c 1 -W 5 172.31.250.1 >/dev/null && echo gateway-reached',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /eth0\s+inet 172\.31\.250\.77\/24/);
    assert.match(result.stdout, /gateway-reached/);
    const list = await runRkt(dataDir, ['list', '--no-legend']);
    assert.match(list.stdout, /testbr:ip4=172\.31\.250\.77/);
    const gc = await runRkt(dataDir, ['gc', '--grace-period=0s']);
    assert.equal(gc.status, 0, gc.stderr);
  } finally {
    // The bridge plugin never deletes its bridge (by design: other pods may share it).
    execFileSync('sh', ['-c', `ip link delete ${bridge} 2>/dev/null || true`]);
    // host-local keeps its bookkeeping (last_reserved_ip.0, lock) per network; this one is the test's.
    if (!hadIpamDir) fs.rmSync(ipamDir, { recursive: true, force: true });
  }
  assertHostClean('a pod on a bridge network, once gc ran and the bridge was deleted');
});

test('--net=none has only lo, up; status shows no networks', async () => {
  const uuidFile = path.join(dataDir, 'uuid-none');
  const result = await runRkt(dataDir, ['run', '--insecure-options=image', '--net=none', `--uuid-file-save=${uuidFile}`, image('latest'), '--exec=/bin/ip', '--', '-o', 'link']);
  assert.equal(result.status, 0, result.stderr);
  const links = result.stdout.split('\n').filter(Boolean);
  assert.equal(links.length, 1, result.stdout);
  assert.match(links[0]!, /^1: lo: <LOOPBACK,UP/);
  const status = await runRkt(dataDir, ['status', fs.readFileSync(uuidFile, 'utf8').trim()]);
  assert.match(status.stdout, /^networks=$/m);
  assertHostClean('a pod with --net=none');
});

test('--dns, --dns-search, --dns-opt, --dns-domain and --hosts-entry show in the pod\'s files', async () => {
  const result = await runRkt(dataDir, [
    'run', '--insecure-options=image', '--dns=192.0.2.53,198.51.100.53', '--dns-search=example.org', '--dns-opt=ndots:3', '--dns-domain=example.org',
    '--hosts-entry=198.51.100.7=db', '--hosts-entry=198.51.100.7=db.example.org', '--hostname=dnspod',
    image('latest'), '--exec=/bin/cat', '--', '/etc/resolv.conf', '/etc/hosts',
  ]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^# Generated by rkt run\nsearch example\.org\nnameserver 192\.0\.2\.53\nnameserver 198\.51\.100\.53\noptions ndots:3\ndomain example\.org\n/);
  assert.match(result.stdout, /# Added by rkt run --hosts-entry\n198\.51\.100\.7\tdb db\.example\.org\n127\.0\.0\.1\tdnspod\n$/);

  const host = await runRkt(dataDir, ['run', '--insecure-options=image', '--dns=host', '--hosts-entry=host', image('latest'), '--exec=/bin/cat', '--', '/etc/resolv.conf', '/etc/hosts']);
  assert.equal(host.status, 0, host.stderr);
  assert.equal(host.stdout, fs.readFileSync('/etc/resolv.conf', 'utf8') + fs.readFileSync('/etc/hosts', 'utf8'));
  const gc = await runRkt(dataDir, ['gc', '--grace-period=0s']);
  assert.equal(gc.status, 0, gc.stderr);
  assertHostClean('pods with DNS flags');
});
