/**
 * The runtime-spec's seccomp section as a conditional profile for the BPF compiler, with runc's
 * readings: errnoRet defaults to EPERM, rules whose action is the default action are dropped,
 * system calls unknown on this architecture are skipped (as libseccomp-based runtimes do), and a
 * rule whose conditions test one argument more than once becomes one rule per condition.
 */
import { RktError } from '../errors/rkt-error.js';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, errnoAction, syscallTable, type ArgCondition, type ArgOperator, type ConditionalProfile, type ConditionalRule,
} from '../isolation/seccomp-bpf.js';
import type { OciSeccomp } from '../schema/oci-runtime-config.js';

const EPERM = 1;
const ENOSYS = 38;

const OPERATORS: Record<string, ArgOperator> = {
  SCMP_CMP_NE: 'ne', SCMP_CMP_LT: 'lt', SCMP_CMP_LE: 'le', SCMP_CMP_EQ: 'eq', SCMP_CMP_GE: 'ge', SCMP_CMP_GT: 'gt', SCMP_CMP_MASKED_EQ: 'masked-eq',
};

/** Flags the helper's plain seccomp(SET_MODE_FILTER, 0) may leave out: each only weakens or logs. */
const HARMLESS_FLAGS = new Set(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
const KNOWN_ARCHES = new Set([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
]);

function invalid(field: string, problem: string): RktError {
  return new RktError('usage', 'ERR_OCI_CONFIG_UNSUPPORTED', `config.json field ${field}: ${problem}`);
}

/** The actions seccompAction takes (features' `linux.seccomp.actions`). */
export const SECCOMP_ACTIONS = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
] as const;
export const SECCOMP_OPERATORS = Object.keys(OPERATORS);
export const SECCOMP_FLAGS = [...HARMLESS_FLAGS];

/** A seccomp action name to its SECCOMP_RET_* value. */
export function seccompAction(name: string, errnoRet: number | undefined, field: string): number {
  switch (name) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 0;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return 0x00030000;
    case 'SCMP_ACT_ERRNO':
      return errnoAction(errnoRet ?? EPERM);
    case 'SCMP_ACT_TRACE':
      return (0x7ff00000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_LOG':
      return 0x7ffc0000;
    case 'SCMP_ACT_NOTIFY':
      throw invalid(field, 'SCMP_ACT_NOTIFY (a seccomp agent) is not supported');
    default:
      throw invalid(field, `unknown seccomp action "${name}"`);
  }
}

function exact(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value)) throw invalid(field, `${value} is above 2^53 and cannot be read exactly from JSON here`);
  return BigInt(value);
}

/** `notes` collects what was skipped, for --debug. */
export function ociSeccompProfile(seccomp: OciSeccomp, notes: string[], arch: string = process.arch): ConditionalProfile {
  const { table } = syscallTable(arch);
  for (const flag of seccomp.flags ?? []) {
    if (!HARMLESS_FLAGS.has(flag)) throw invalid('linux.seccomp.flags', `unsupported flag "${flag}"`);
  }
  for (const [i, name] of (seccomp.architectures ?? []).entries()) {
    if (!KNOWN_ARCHES.has(name)) throw invalid(`linux.seccomp.architectures.${i}`, `unknown architecture "${name}"`);
  }
  if (seccomp.listenerPath) throw invalid('linux.seccomp.listenerPath', 'seccomp agents (SCMP_ACT_NOTIFY) are not supported');
  const defaultAction = seccompAction(seccomp.defaultAction, seccomp.defaultErrnoRet, 'linux.seccomp.defaultAction');
  const blocks = defaultAction !== SECCOMP_RET_ALLOW && defaultAction !== 0x7ffc0000;
  const rules: ConditionalRule[] = [];
  for (const [i, entry] of (seccomp.syscalls ?? []).entries()) {
    const field = `linux.seccomp.syscalls.${i}`;
    const action = seccompAction(entry.action, entry.errnoRet, `${field}.action`);
    if (action === defaultAction) continue;
    const conditions: ArgCondition[] = (entry.args ?? []).map((arg, j) => {
      const op = OPERATORS[arg.op]!;
      if (op === 'masked-eq') {
        return { arg: arg.index, op, mask: exact(arg.value, `${field}.args.${j}.value`), value: exact(arg.valueTwo ?? 0, `${field}.args.${j}.valueTwo`) };
      }
      return { arg: arg.index, op, value: exact(arg.value, `${field}.args.${j}.value`) };
    });
    const indexes = conditions.map((condition) => condition.arg);
    const alternatives = new Set(indexes).size < indexes.length ? conditions.map((condition) => [condition]) : [conditions];
    for (const name of entry.names) {
      if (!(name in table)) {
        notes.push(`seccomp: skipping ${name}, not a system call on ${arch}`);
        continue;
      }
      for (const alternative of alternatives) rules.push({ syscall: name, action, conditions: alternative });
    }
  }
  // x32 calls (x86_64's other ABI) have no table here: they get the default action when that
  // refuses, and ENOSYS when the default allows, so a deny-list cannot be sidestepped through them.
  return { defaultAction, foreignAction: blocks ? defaultAction : errnoAction(ENOSYS), rules };
}
