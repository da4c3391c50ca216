/**
 * An independent conformance suite for OCI runtimes — opencontainers/runtime-tools' validation
 * programs, with `runtimetest` checking from inside each container that the config was applied —
 * run against rkt-oci, and first against Debian's runc on the same machine as the reference: every
 * program that passes under runc here must pass under rkt-oci, unless it is a known exception
 * below, whose reason is printed. The suite is built by scripts/build-oci-conformance.sh (from a
 * runtime-tools checkout: Debian does not package these sources); without it the test skips.
 *
 * Each program runs with RUNTIME naming the runtime, from a work directory that holds
 * `runtimetest` and `rootfs-amd64.tar.gz` (a busybox-static root made here), in a private mount
 * namespace of its own (`unshare --mount`): runc makes the mounts of a config without a mount
 * namespace in the caller's, and they must not land on the host. Containers, bundles and cgroups
 * the programs leave behind (a program that fails exits without cleaning up) are removed after
 * each runtime.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { populateBusyboxRootfs } from '../support/busybox-layout.js';
import { RKT_OCI } from '../support/oci-bundle.js';
import { REPO_ROOT } from '../support/project-paths.js';

const SUITE = path.join(REPO_ROOT, 'build', 'oci-conformance');
const PER_PROGRAM_MS = 40_000;
/** Programs run this many at a time (most of their time is waiting), but the cgroup ones one at a time. */
const PARALLEL = 3;
/** These programs, under either runtime, use the same cgroups (/cgrouptest, testdir/cgrouptest/container). */
const sharesCgroups = (name: string) => name.startsWith('linux_cgroups_') || name === 'delete_resources' || name === 'delete_only_create_resources';

/**
 * Programs that pass under runc here and fail under rkt-oci, each for a reason that is known and
 * not a bug of what rkt-oci does support. One that passes now must leave this list.
 */
const KNOWN_EXCEPTIONS: Record<string, string> = {
  linux_ns_itype: 'a config without a mount namespace is refused: its mounts would be made in the host\'s mount namespace (runc makes them there)',
};

interface ProgramResult {
  pass: boolean;
  /** Why it failed: the first failing TAP points, an error diagnostic, or the end of stderr. */
  why: string;
}

/** A program passes when it exits 0 with no `not ok` point, and either has an `ok` point or reports no error. */
function judgeTap(status: number | null, stdout: string, stderr: string): ProgramResult {
  const notOk = stdout.split('\n').filter((line) => line.startsWith('not ok'));
  const ok = stdout.split('\n').some((line) => line.startsWith('ok'));
  const error = /^\s+"error": "(.*)"/m.exec(stdout)?.[1];
  const pass = status === 0 && notOk.length === 0 && (ok || error === undefined);
  const why = notOk.length > 0 ? notOk.slice(0, 3).join('; ') : error ?? stderr.trim().split('\n').slice(-2).join(' | ');
  return { pass, why: pass ? '' : why || `exit status ${String(status)}` };
}

function runProgram(program: string, runtime: string, workdir: string): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', program], {
      cwd: workdir,
      env: { ...process.env, RUNTIME: runtime, TMPDIR: path.join(workdir, 'tmp') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, PER_PROGRAM_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve(timedOut ? { pass: false, why: `timed out after ${PER_PROGRAM_MS / 1000}s` } : judgeTap(status, stdout, stderr));
    });
  });
}

/** The suite's cgroups (cgroupsPath /cgrouptest and testdir/cgrouptest/container), where a runtime left them. */
function removeSuiteCgroups(): void {
  // controller (or name=..., or "" for v2) -> this process's group in that hierarchy
  const callerPaths = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match) for (const name of match[1]!.split(',')) callerPaths.set(name, match[2]!);
  }
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const tail = fields.slice(fields.indexOf('-') + 1);
    if (tail[0] !== 'cgroup' && tail[0] !== 'cgroup2') continue;
    const mount = fields[4]!;
    const options = (tail[2] ?? '').split(',');
    const caller = tail[0] === 'cgroup2' ? callerPaths.get('') : options.map((option) => callerPaths.get(option)).find((found) => found !== undefined);
    const relative = path.join(mount, caller ?? '/', 'testdir');
    for (const dir of [path.join(relative, 'cgrouptest', 'container'), path.join(relative, 'cgrouptest'), relative, path.join(mount, 'cgrouptest')]) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // absent, or not empty: not the suite's to remove
      }
    }
  }
}

/** Deletes (with --force) the containers whose bundle is under `tmp`: what failed programs left. */
function removeLeftoverContainers(tmp: string): void {
  const runcList = spawnSync('runc', ['list', '--format', 'json'], { encoding: 'utf8' });
  for (const container of (JSON.parse(runcList.stdout || 'null') ?? []) as { id: string; bundle: string }[]) {
    if (container.bundle.startsWith(`${tmp}/`)) spawnSync('runc', ['delete', '--force', container.id]);
  }
  const rktRoot = '/run/rkt-oci';
  for (const id of fs.existsSync(rktRoot) ? fs.readdirSync(rktRoot) : []) {
    const state = spawnSync(RKT_OCI, ['state', id], { encoding: 'utf8' });
    if (state.status === 0 && (JSON.parse(state.stdout) as { bundle: string }).bundle.startsWith(`${tmp}/`)) spawnSync(RKT_OCI, ['delete', '--force', id]);
  }
}

/** Every program under each runtime; results by runtime, then program. */
async function runSuite(runtimes: string[], programs: string[], workdir: string): Promise<Map<string, Map<string, ProgramResult>>> {
  const results = new Map(runtimes.map((runtime) => [runtime, new Map<string, ProgramResult>()]));
  const tmp = path.join(workdir, 'tmp');
  fs.mkdirSync(tmp);
  const queue = runtimes.flatMap((runtime) => programs.map((name) => ({ runtime, name })));
  let cgroupTurn = Promise.resolve();
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      const { runtime, name } = task;
      const run = () => runProgram(path.join(SUITE, 'validation', name), runtime, workdir).then((result) => {
        results.get(runtime)!.set(name, result);
      });
      if (sharesCgroups(name)) {
        // one at a time, each starting without what the last one (or runc) left behind
        const turn = cgroupTurn.then(run).then(removeSuiteCgroups);
        cgroupTurn = turn.catch(() => undefined);
        await turn;
      } else {
        await run();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  } finally {
    removeLeftoverContainers(tmp);
    removeSuiteCgroups();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

const missing = !fs.existsSync(path.join(SUITE, 'runtimetest'))
  ? `the suite is not built (scripts/build-oci-conformance.sh, with a runtime-tools checkout at $OCI_RUNTIME_TOOLS_SRC)`
  : spawnSync('runc', ['--version']).status !== 0 ? 'runc, the reference, is not installed' : undefined;

test('runtime-tools validation: every program that passes under runc passes under rkt-oci, known exceptions aside', { skip: missing ?? false, timeout: 175_000 }, async (t) => {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-oci-conformance-'));
  // the bundles are below it: a container's root mapped to another uid must be able to reach them
  fs.chmodSync(workdir, 0o755);
  try {
    const rootfs = path.join(workdir, 'rootfs');
    populateBusyboxRootfs(rootfs);
    for (const dir of ['dev', 'proc', 'sys']) fs.mkdirSync(path.join(rootfs, dir));
    execFileSync('tar', ['-czf', path.join(workdir, `rootfs-${process.arch === 'x64' ? 'amd64' : process.arch}.tar.gz`), '-C', rootfs, '.']);
    fs.copyFileSync(path.join(SUITE, 'runtimetest'), path.join(workdir, 'runtimetest'));
    fs.chmodSync(path.join(workdir, 'runtimetest'), 0o755);
    const programs = fs.readdirSync(path.join(SUITE, 'validation')).sort();
    assert.ok(programs.length > 40, `only ${programs.length} validation programs in ${SUITE}`);

    const results = await runSuite(['runc', RKT_OCI], programs, workdir);
    const runc = results.get('runc')!;
    const rkt = results.get(RKT_OCI)!;

    const problems: string[] = [];
    t.diagnostic(`runtime-tools ${fs.readFileSync(path.join(SUITE, 'source-commit'), 'utf8').trim()}: program | runc | rkt-oci | why rkt-oci fails | why runc fails`);
    for (const name of programs) {
      const reference = runc.get(name)!;
      const ours = rkt.get(name)!;
      const known = KNOWN_EXCEPTIONS[name];
      const note = ours.pass ? (known ? 'passes now: remove it from KNOWN_EXCEPTIONS' : '') : known ? `known: ${known}` : ours.why;
      t.diagnostic(`${name} | ${reference.pass ? 'pass' : 'fail'} | ${ours.pass ? 'pass' : 'fail'} | ${note} | ${reference.why}`);
      if (reference.pass && !ours.pass && !known) problems.push(`${name}: passes under runc, fails under rkt-oci: ${ours.why}`);
      if (ours.pass && known) problems.push(`${name}: listed as a known exception but passes under rkt-oci: remove it from KNOWN_EXCEPTIONS`);
    }
    const passed = (results: Map<string, ProgramResult>) => [...results.values()].filter((result) => result.pass).length;
    t.diagnostic(`passed: runc ${passed(runc)}/${programs.length}, rkt-oci ${passed(rkt)}/${programs.length}`);
    assert.deepEqual(problems, []);
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
});
