/**
 * The runtime-spec hooks rkt-oci runs itself, in order, each with the state JSON on stdin. A failure
 * of prestart, createRuntime or createContainer fails the operation and stops the hooks after it;
 * a failure of poststart or poststop is a warning, and the others still run (as the spec says):
 *
 * - prestart, createRuntime, poststart, poststop: in the runtime's namespaces (rkt-oci's own);
 * - createContainer: in the container's namespaces, through the helper's `enter` into the pod's
 *   PID 1 while it waits before pivot_root, so the hook's path resolves, and it runs, with the
 *   host's root in the container's mount namespace (and its network, IPC, UTS, PID, cgroup
 *   namespaces) — as runc runs them. Not in its user namespace: it runs as the host's root.
 *
 * startContainer hooks are run by the helper itself, in the container, after `start` (plan
 * `start-hook`).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import type { OciHook } from '../schema/oci-runtime-config.js';
import { findStage1Helper } from '../stage1/helper-binary.js';
import { spawnError } from '../sys/spawn-error.js';
import { openEnterPlan } from './enter-plan-fd.js';

type Runner = (hook: OciHook, input: string) => SpawnSyncReturns<Buffer>;

function envOf(hook: OciHook): Record<string, string> {
  return Object.fromEntries((hook.env ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** The failures' messages; `untilFailure`: the first one stops the rest (it fails the operation). */
function runEach(hooks: readonly OciHook[], state: unknown, kind: string, run: Runner, untilFailure = true): string[] {
  const failures: string[] = [];
  for (const hook of hooks) {
    const result = run(hook, JSON.stringify(state));
    // a hook need not read its stdin: EPIPE on the state is no failure
    const error = spawnError(result);
    if (error || result.status !== 0) {
      const why = error ? error.message : result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`;
      failures.push(`${kind} hook ${hook.path} failed: ${why}${result.stderr?.length ? `: ${result.stderr.toString().trim()}` : ''}`);
      if (untilFailure) break;
    }
  }
  return failures;
}

function spawnHook(hook: OciHook, input: string): SpawnSyncReturns<Buffer> {
  const args = hook.args ?? [hook.path];
  return spawnSync(hook.path, args.slice(1), {
    argv0: args[0] ?? hook.path,
    env: envOf(hook),
    input,
    stdio: ['pipe', 'inherit', 'pipe'],
    ...(hook.timeout === undefined ? {} : { timeout: hook.timeout * 1000 }),
  });
}

/** Hooks in rkt-oci's own namespaces whose failure fails the operation (prestart, createRuntime): the first failure. */
export function runRuntimeHooks(hooks: readonly OciHook[], state: unknown, kind: string): string | undefined {
  return runEach(hooks, state, kind, spawnHook)[0];
}

/** poststart and poststop, in rkt-oci's namespaces: a failure is only a warning, so every hook runs. */
export function runWarningHooks(hooks: readonly OciHook[], state: unknown, kind: string): string[] {
  return runEach(hooks, state, kind, spawnHook, false);
}

/** The pod's PID 1 as the helper's `enter` names a process: host PID, its parent's, its start time. */
export interface PausedPod {
  pid: number;
  ppid: number;
  startTime: bigint;
  /** The container's state directory (where the enter plan is written and unlinked). */
  dir: string;
  /** The hook's working directory: the root filesystem, as the host sees it (runc's). */
  rootfs: string;
}

/** createContainer hooks: in the container's namespaces, with the host's root, as the host's root. */
export function runContainerHooks(hooks: readonly OciHook[], state: unknown, pod: PausedPod): string | undefined {
  const helper = findStage1Helper();
  return runEach(hooks, state, 'createContainer', (hook, input) => {
    const planFd = openEnterPlan(pod.dir, {
      pid: pod.pid,
      ppid: pod.ppid,
      startTime: pod.startTime,
      app: { name: 'createContainer', exec: hook.path, argv: hook.args ?? [hook.path], env: hook.env ?? [], cwd: pod.rootfs, uid: 0, gid: 0, groups: [] },
    });
    try {
      // the helper forwards TERM to the hook and waits; a timeout takes the helper down at once,
      // and the hook goes with the container's PID namespace when create fails
      return spawnSync(helper, ['enter', '/proc/self/fd/3'], {
        input,
        stdio: ['pipe', 'inherit', 'pipe', planFd],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
        killSignal: 'SIGKILL',
        ...(hook.timeout === undefined ? {} : { timeout: hook.timeout * 1000 }),
      });
    } finally {
      fs.closeSync(planFd);
    }
  })[0];
}
