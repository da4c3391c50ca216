/**
 * The six runtime-spec hooks, each appending its name to one file and keeping the state it got on
 * stdin: called in the spec's order, createContainer in the container's namespaces with the
 * host's root before pivot_root, startContainer inside the container after `start`; a failing
 * create-time hook fails create and leaves nothing, a failing (or slow) startContainer hook fails
 * start before the program runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, makeBundle, OciRoot, type Config } from '../support/oci-bundle.js';

const root = new OciRoot();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-hooks-'));
after(async () => {
  await root.cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

/** A hook that saves its stdin as NAME.json and appends NAME to `order`, in DIR (as the hook sees it). */
function recorder(name: string, dir: string, extra = ''): { path: string; args: string[] } {
  return { path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${name}.json; ${extra}echo ${name} >> ${dir}/order`] };
}

/** A config whose hooks record into a host directory, bound at /hooks for the one inside. */
function hookedConfig(name: string): { config: Config; dir: string } {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  const config = defaultConfig();
  config.mounts.push({ destination: '/hooks', type: 'bind', source: dir, options: ['rbind'] });
  config.hooks = Object.fromEntries(HOOKS.map((hook) => [hook, [recorder(hook, hook === 'startContainer' ? '/hooks' : dir)]]));
  // where createContainer runs: its mount and network namespaces, its root
  config.hooks.createContainer = [recorder('createContainer', dir, `readlink /proc/self/ns/mnt /proc/self/ns/net > ${dir}/namespaces; ls / > ${dir}/root; `)];
  return { config, dir };
}

const stateOf = (dir: string, hook: string) => JSON.parse(fs.readFileSync(path.join(dir, `${hook}.json`), 'utf8')) as { status: string; pid: number; id: string };

test('all six hooks run in the spec\'s order, where the spec says, with the state on stdin', async () => {
  const { config, dir } = hookedConfig('order');
  config.process.args = ['/bin/probe', 'sleep', '60'];
  const created = await root.create('hooked', makeBundle(config));
  assert.equal(created.status, 0, created.stderr);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'order'), 'utf8').split('\n').filter(Boolean), ['prestart', 'createRuntime', 'createContainer']);
  const { pid } = await root.state('hooked');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'namespaces'), 'utf8').trim().split('\n'), [fs.readlinkSync(`/proc/${pid}/ns/mnt`), fs.readlinkSync(`/proc/${pid}/ns/net`)], 'createContainer ran in the container\'s mount and network namespaces');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'root'), 'utf8').split('\n').filter(Boolean).sort(), fs.readdirSync('/').filter((name) => !name.startsWith('.')).sort(), 'with the host\'s root (before pivot_root)');
  for (const hook of ['prestart', 'createRuntime', 'createContainer']) {
    const state = stateOf(dir, hook);
    assert.equal(state.status, 'creating', hook);
    assert.equal(state.pid, pid, `${hook}: the container process`);
    assert.equal(state.id, 'hooked');
  }

  assert.equal((await root.run('start', 'hooked')).status, 0);
  assert.ok(fs.readFileSync(`/proc/${pid as number}/cmdline`, 'utf8').startsWith('/bin/probe\0sleep'), 'start returned after the program was exec\'d');
  assert.deepEqual(stateOf(dir, 'startContainer').status, 'created');
  assert.deepEqual(stateOf(dir, 'poststart').status, 'running');
  assert.equal((await root.run('kill', 'hooked', 'KILL')).status, 0);
  await root.waitFor('hooked', 'stopped');
  assert.equal((await root.run('delete', 'hooked')).status, 0);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'order'), 'utf8').split('\n').filter(Boolean), [...HOOKS]);
  assert.equal(stateOf(dir, 'poststop').status, 'stopped');
});

test('a failing create-time hook fails create, naming it; nothing is left', async () => {
  for (const hook of ['prestart', 'createRuntime', 'createContainer'] as const) {
    const { config } = hookedConfig(`fail-${hook}`);
    config.hooks[hook] = [{ path: '/bin/sh', args: ['sh', '-c', 'echo refusing >&2; exit 3'] }];
    const result = await root.create('failing', makeBundle(config));
    assert.equal(result.status, 1, hook);
    assert.match(result.stderr, new RegExp(`${hook} hook /bin/sh failed: exit status 3: refusing`));
    assert.ok(!fs.existsSync(path.join(root.dir, 'failing')), `${hook}: no state left`);
  }
});

test('a failing or slow startContainer hook fails start before the program runs', async () => {
  for (const [name, hook, message] of [
    ['exits', { path: '/bin/sh', args: ['sh', '-c', 'exit 4'] }, /startContainer hook exited with status 4/],
    ['slow', { path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }, /startContainer hook timed out after 1 s/],
    ['missing', { path: '/no/such/hook' }, /exec \/no\/such\/hook: No such file or directory/],
  ] as const) {
    const { config, dir } = hookedConfig(`start-${name}`);
    config.hooks = { startContainer: [hook] };
    config.process.args = ['/bin/sh', '-c', 'echo ran > /hooks/program'];
    assert.equal((await root.create(name, makeBundle(config))).status, 0);
    const started = await root.run('start', name);
    assert.equal(started.status, 1, name);
    assert.match(started.stderr, message);
    assert.equal((await root.state(name)).status, 'stopped');
    assert.ok(!fs.existsSync(path.join(dir, 'program')), `${name}: the program never ran`);
    assert.equal((await root.run('delete', name)).status, 0);
  }
});
