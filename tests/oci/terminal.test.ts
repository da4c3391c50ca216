/**
 * A terminal through --console-socket, as runc's protocol has it: the runtime makes a pty from
 * the container's own devpts, makes its slave the process's controlling terminal and stdio, and
 * sends its master over the socket. native/recvtty receives it, types a line into it and collects
 * what the terminal shows; the probe reports from inside what its stdin is.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConsoleReceiver } from '../support/console-receiver.js';
import { defaultConfig, makeBundle, OciRoot, type Config } from '../support/oci-bundle.js';
import { parseProbeReport, type ProbeReport } from '../support/probe-report.js';

const root = new OciRoot();
after(() => root.cleanup());

/** What a probe run with --read-line showed on the terminal: the echoed input, then its report. */
function terminalReport(shown: string, typed: string): ProbeReport {
  // the line discipline echoes input and turns "\n" into "\r\n" on output: both prove a terminal
  assert.ok(shown.startsWith(`${typed}\r\n`), `the terminal echoed the input first: ${JSON.stringify(shown.slice(0, 80))}`);
  assert.match(shown, /}\r\n$/);
  return parseProbeReport(shown);
}

test('create --console-socket: a pty from the container\'s devpts is the controlling terminal and stdio; consoleSize sets its size', async () => {
  const config = defaultConfig();
  config.process.terminal = true;
  config.process.consoleSize = { height: 30, width: 100 };
  config.process.user = { uid: 1000, gid: 1000 };
  config.process.args = ['/bin/probe', '--read-line', '--stat', '/dev/pts/0', '--stat', '/dev/pts/ptmx'];
  const receiver = await ConsoleReceiver.listen();
  try {
    const bundle = makeBundle(config);
    const created = await root.create('tty', bundle, ['--console-socket', receiver.socket]);
    assert.equal(created.status, 0, created.stderr);
    assert.equal(await receiver.received(), '/dev/ptmx', 'the master arrived at create, before start (runc\'s name for it)');
    assert.equal((await root.state('tty')).status, 'created');
    assert.equal((await root.run('start', 'tty')).status, 0);
    receiver.type('hello tty\n');
    const report = terminalReport(await receiver.closed, 'hello tty');
    assert.equal(report.line, 'hello tty', 'what was typed reached the program\'s stdin');
    assert.deepEqual(report.tty, { stdin: true, name: '/dev/pts/0', controlling: true, foreground: true, rows: 30, cols: 100 });
    assert.deepEqual(report.fds, [0, 1, 2], 'no fd of the runtime (the socket, the master) is left in the program');
    // the container's own devpts instance: its first pty, owned by the process's user (the
    // group and mode are the mount's gid=5,mode=620), and a ptmx anyone may open (ptmxmode=0666)
    assert.deepEqual([report.files['/dev/pts/0']?.uid, report.files['/dev/pts/0']?.gid, report.files['/dev/pts/0']?.mode], [1000, 5, '0620']);
    assert.equal(report.files['/dev/pts/ptmx']?.mode, '0666');
    assert.equal(fs.readFileSync(created.output, 'utf8'), '', 'nothing went to create\'s stdout: the terminal is the program\'s stdio');
    await root.waitFor('tty', 'stopped');
    assert.equal((await root.run('delete', 'tty')).status, 0);
  } finally {
    receiver.stop();
  }
});

test('exec --tty --console-socket, in the foreground and with --detach, in a container without a terminal', async () => {
  await root.started('host', ['/bin/probe', 'sleep', '60']);
  for (const detach of [false, true]) {
    const receiver = await ConsoleReceiver.listen();
    try {
      const exec = root.run('exec', '--tty', '--console-socket', receiver.socket, ...(detach ? ['--detach'] : []), 'host', '/bin/probe', '--read-line');
      assert.equal(await receiver.received(), '/dev/ptmx');
      receiver.type(`typed ${detach}\n`);
      const report = terminalReport(await receiver.closed, `typed ${detach}`);
      const result = await exec;
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, '', 'the program\'s output went to the terminal only');
      assert.equal(report.line, `typed ${detach}`);
      assert.equal(report.tty.stdin && report.tty.controlling && report.tty.foreground, true);
      assert.match(report.tty.name ?? '', /^\/dev\/pts\/[0-9]+$/);
      assert.equal(report.pid > 2, true, 'a second process in the container\'s PID namespace');
    } finally {
      receiver.stop();
    }
  }
  const noSocket = await root.run('exec', '--tty', 'host', '/bin/true');
  assert.equal(noSocket.status, 1);
  assert.match(noSocket.stderr, /process\.terminal needs --console-socket/);
  assert.equal((await root.run('delete', '--force', 'host')).status, 0);
});

test('a terminal without a socket, a socket without a terminal, or no devpts at /dev/pts are refused by name', async () => {
  const receiver = await ConsoleReceiver.listen();
  try {
    const cases: [(config: Config) => void, string[], RegExp][] = [
      [(c) => (c.process.terminal = true), [], /process\.terminal needs --console-socket/],
      [() => undefined, ['--console-socket', receiver.socket], /process\.terminal is false/],
      [(c) => {
        c.process.terminal = true;
        c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/dev/pts');
      }, ['--console-socket', receiver.socket], /process\.terminal needs a devpts mount at \/dev\/pts/],
      [(c) => (c.process.terminal = true), ['--console-socket', `/tmp/${'x'.repeat(120)}`], /a unix socket path holds at most 107 bytes/],
    ];
    for (const [change, flags, message] of cases) {
      const config = defaultConfig();
      change(config);
      const result = await root.create('refused', makeBundle(config), flags);
      assert.equal(result.status, 1);
      assert.match(result.stderr, message);
      assert.ok(!fs.existsSync(path.join(root.dir, 'refused')), 'a refused create leaves nothing');
    }
  } finally {
    receiver.stop();
  }
});
