import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeNetInfo } from './net-info.js';
import { teardownPodNetwork } from './pod-network.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-pod-network-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('teardownPodNetwork', () => {
  it('runs DEL in reverse interface order with the recorded configuration, tries every network, then reports the first failure', () => {
    const log = path.join(dir, 'log');
    fs.writeFileSync(path.join(dir, 'fake'), `#!/bin/sh\nread conf\necho "$CNI_COMMAND $CNI_IFNAME $CNI_ARGS $conf" >> ${log}\n[ "$CNI_IFNAME" != eth1 ]\n`, { mode: 0o755 });
    const podDir = fs.mkdtempSync(path.join(dir, 'pod-'));
    const net = (index: number) => ({
      name: `n${index}`, conf: { type: 'fake', name: `n${index}` }, ifName: `eth${index}`, args: index === 0 ? 'K=V' : '', pluginDirs: [dir],
    });
    // A namespace path that does not exist: teardown of a set-up killed before `ip netns add`.
    writeNetInfo(podDir, { version: 1, containerId: 'c0ffee', netns: path.join(dir, 'no-netns'), networks: [net(0), net(1), net(2)] });
    assert.throws(() => teardownPodNetwork(podDir), /network "n1": CNI plugin fake .* DEL failed/);
    assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), [
      'DEL eth2  {"type":"fake","name":"n2"}',
      'DEL eth1  {"type":"fake","name":"n1"}',
      'DEL eth0 K=V {"type":"fake","name":"n0"}',
    ]);
  });

  it('does nothing for a pod without net-info.json (--net=host, --net=none)', () => {
    teardownPodNetwork(fs.mkdtempSync(path.join(dir, 'plain-')));
  });
});
