/**
 * The isolation of one app, decided once for both ways a process gets into an app: the app itself
 * (`rkt run`, `rkt run-prepared`) and a command entered into it (`rkt enter`), which must never
 * have less. Capabilities: rkt's default fourteen in the bounding set, effective only for root;
 * no_new_privs; the seccomp program; oom_score_adj; the app's cgroups; rlimits.
 */
import { boundingSet, capabilityMask, CAPABILITY_NUMBERS, formatCapabilityMask } from '../isolation/capabilities.js';
import { compileSeccomp, encodeProgram } from '../isolation/seccomp-bpf.js';
import { seccompProfile } from '../isolation/seccomp-profile.js';
import type { AppcEventHandler } from '../schema/appc-manifest.js';
import type { AppPlan, HookPlan, RlimitPlan } from '../stage1/stage1-plan.js';
import type { SpecApp } from './prepare-pod.js';

export interface AppIsolation {
  /** The plan's isolation fields; `seccompFile` is left to the caller, which knows where the program is. */
  plan: Pick<AppPlan, 'cgroups' | 'capsBounding' | 'capsEffective' | 'noNewPrivs' | 'oomScoreAdj' | 'rlimits'>;
  /** The compiled seccomp program (struct sock_filter[]), when the app has a filter. */
  seccompProgram?: Buffer;
}

/** Every app's limits, as containerd's default (the host's NOFILE is often far higher, or lower). */
export const DEFAULT_RLIMITS: readonly RlimitPlan[] = [{ name: 'RLIMIT_NOFILE', soft: '1024', hard: '1024' }];

/**
 * `insecure` is the pod's `--insecure-options` at launch (`capabilities`, `seccomp` turn those
 * protections off); `cgroupDirs` the directories the app joins.
 */
export function appIsolation(app: Pick<SpecApp, 'uid' | 'isolators'>, insecure: ReadonlySet<string>, cgroupDirs: readonly string[]): AppIsolation {
  const isolators = app.isolators ?? {};
  const bounding = insecure.has('capabilities') ? Object.keys(CAPABILITY_NUMBERS) : boundingSet(isolators.capabilities);
  const plan: AppIsolation['plan'] = { cgroups: [...cgroupDirs], rlimits: DEFAULT_RLIMITS.map((limit) => ({ ...limit })) };
  if (!insecure.has('capabilities')) {
    const mask = capabilityMask(bounding);
    plan.capsBounding = formatCapabilityMask(mask);
    plan.capsEffective = formatCapabilityMask(app.uid === 0 ? mask : 0n);
  }
  if (isolators.oomScoreAdj !== undefined) plan.oomScoreAdj = isolators.oomScoreAdj;
  if (insecure.has('seccomp')) return { plan };
  plan.noNewPrivs = true;
  const profile = seccompProfile(isolators.seccomp, bounding);
  return profile ? { plan, seccompProgram: encodeProgram(compileSeccomp(profile)) } : { plan };
}

/**
 * An appc image's event handlers as the app's stage1 hooks. rkt ran them privileged (systemd's
 * `PermissionsStartOnly`, reference §4.4): as root whoever the app runs as, with no supplementary
 * groups and the capabilities a root app of the pod gets (its bounding set, effective; none given
 * with `--insecure-options=capabilities`, as for the app). Everything else is the app's own
 * isolation, which the helper applies to a hook as to its app.
 */
export function eventHandlerHooks(handlers: readonly AppcEventHandler[], isolation: Pick<AppPlan, 'capsBounding'>): HookPlan[] {
  return handlers.map((handler) => ({
    name: handler.name,
    exec: handler.exec[0]!,
    argv: [...handler.exec],
    uid: 0,
    gid: 0,
    groups: [],
    ...(isolation.capsBounding === undefined ? {} : { capsEffective: isolation.capsBounding }),
  }));
}
