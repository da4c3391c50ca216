import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCniPlugin, type CniInvocation } from './cni-plugin.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-cni-plugin-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stand-in plugin: a shell script that records its environment and stdin, then answers. */
function plugin(name: string, body: string): void {
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\nenv > ${dir}/${name}.env\ncat > ${dir}/${name}.stdin\n${body}\n`, { mode: 0o755 });
}

const invocation = (type: string, command: 'ADD' | 'DEL' = 'ADD'): CniInvocation => ({
  command, network: 'mynet', conf: { cniVersion: '1.0.0', name: 'mynet', type }, containerId: 'c0ffee',
  netns: '/var/run/netns/rkt-c0ffee', ifName: 'eth1', args: 'IP=10.0.0.9', pluginDirs: ['/nonexistent', dir],
});

describe('runCniPlugin', () => {
  it('passes the CNI environment and the configuration, and parses the result', () => {
    plugin('good', `echo '{"cniVersion":"1.0.0","interfaces":[{"name":"veth0"}],"ips":[{"address":"10.0.0.9/24"}]}'`);
    const result = runCniPlugin(invocation('good'));
    assert.equal(result?.addresses[0]?.address, '10.0.0.9/24');
    const env = fs.readFileSync(path.join(dir, 'good.env'), 'utf8');
    for (const line of ['CNI_COMMAND=ADD', 'CNI_CONTAINERID=c0ffee', 'CNI_NETNS=/var/run/netns/rkt-c0ffee', 'CNI_IFNAME=eth1', 'CNI_ARGS=IP=10.0.0.9', `CNI_PATH=/nonexistent:${dir}`]) {
      assert.match(env, new RegExp(`^${line}$`, 'm'));
    }
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'good.stdin'), 'utf8')), invocation('good').conf);
  });

  it('returns nothing for DEL', () => {
    plugin('quiet', 'exit 0');
    assert.equal(runCniPlugin(invocation('quiet', 'DEL')), undefined);
  });

  it('names the network, the plugin and the command in errors, with the plugin\'s CNI error', () => {
    plugin('bad', `echo '{"cniVersion":"1.0.0","code":11,"msg":"no addresses left","details":"range full"}'; exit 1`);
    assert.throws(() => runCniPlugin(invocation('bad')), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_NET_PLUGIN_FAILED');
      assert.match(error.message, /^network "mynet": CNI plugin bad \(.*\/bad\) ADD failed: no addresses left \(range full\) \[CNI error 11\]$/);
      return true;
    });
    plugin('garbled', `echo '{"cniVersion":"1.0.0","ips":[{"address":1}]}'`);
    assert.throws(() => runCniPlugin(invocation('garbled')), /network "mynet": CNI plugin garbled .* ADD: result is not a CNI 1\.0\.0 result/);
    assert.throws(() => runCniPlugin(invocation('missing')), /network "mynet": CNI plugin "missing" was not found in \/nonexistent, /);
  });
});
