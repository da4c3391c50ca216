/**
 * Compiles a seccomp profile to a classic BPF program (struct sock_filter[], 8 bytes each, host
 * byte order = little-endian on every architecture rkt supports), which the stage1 helper loads
 * with seccomp(SECCOMP_SET_MODE_FILTER) just before execve.
 *
 * The program checks the audit architecture first (a call through another ABI would reach other
 * system call numbers) and refuses x32 calls on x86_64; then one block per listed system call:
 *
 *   ld  arch; jeq AUDIT_ARCH_X86_64, +1; ret KILL_PROCESS
 *   ld  nr;   jset 0x40000000 (x32) → ret FOREIGN
 *   jeq NR, 0, <skip block>; <block: ret ACTION, or argument tests ending in ret>
 *   ...
 *   ret DEFAULT
 *
 * Only x86_64 has a system call table so far; other architectures are refused by name.
 */
import { RktError } from '../errors/rkt-error.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;

export const BPF_LD_W_ABS = 0x20;
export const BPF_JMP_JEQ_K = 0x15;
export const BPF_JMP_JSET_K = 0x45;
export const BPF_RET_K = 0x06;

/** Offsets in struct seccomp_data. */
const DATA_NR = 0;
const DATA_ARCH = 4;
const argLow = (index: number): number => 16 + 8 * index; // little-endian: the low 32 bits first

export const errnoAction = (errno: number): number => (SECCOMP_RET_ERRNO | (errno & 0xffff)) >>> 0;

/** A test on the low 32 bits of one argument (the int and flag arguments the rules look at). */
export type ArgTest =
  | { arg: number; op: 'in'; values: number[] }
  | { arg: number; op: 'not-in'; values: number[] }
  | { arg: number; op: 'mask-clear'; mask: number };

export interface SeccompRule {
  syscall: string;
  action: number;
  /** When given, `action` applies only if the test holds; otherwise the profile's default action. */
  when?: ArgTest;
}

export interface SeccompProfile {
  defaultAction: number;
  /** What an x32 call gets (x86_64 only): the action blocked calls get. */
  foreignAction: number;
  rules: SeccompRule[];
}

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export type SyscallTable = Readonly<Record<string, number>>;

/** The system call table of an architecture (Node's process.arch names), or a clear refusal. */
export function syscallTable(arch: string): { table: SyscallTable; auditArch: number } {
  if (arch === 'x64') return { table: SYSCALLS_X86_64, auditArch: AUDIT_ARCH_X86_64 };
  throw new RktError('system', 'ERR_SECCOMP_ARCH_UNSUPPORTED', `seccomp: no system call table for architecture ${arch} yet`, {
    hint: 'run with --insecure-options=seccomp on this architecture (see docs/isolation.md)',
  });
}

export function syscallNumber(table: SyscallTable, name: string): number {
  const nr = table[name];
  if (nr === undefined) {
    throw new RktError('usage', 'ERR_SECCOMP_SYSCALL_UNKNOWN', `seccomp: unknown system call "${name}"`, {
      hint: 'system calls are named as in the kernel (e.g. mkdirat, clock_settime)',
    });
  }
  return nr;
}

const stmt = (code: number, k: number): Instruction => ({ code, jt: 0, jf: 0, k: k >>> 0 });
const jump = (code: number, k: number, jt: number, jf: number): Instruction => ({ code, jt, jf, k: k >>> 0 });

function ruleBody(rule: SeccompRule, otherwise: number): Instruction[] {
  const test = rule.when;
  if (!test) return [stmt(BPF_RET_K, rule.action)];
  const load = stmt(BPF_LD_W_ABS, argLow(test.arg));
  switch (test.op) {
    case 'in':
      return [load, ...test.values.flatMap((value) => [jump(BPF_JMP_JEQ_K, value, 0, 1), stmt(BPF_RET_K, rule.action)]), stmt(BPF_RET_K, otherwise)];
    case 'not-in':
      return [load, ...test.values.flatMap((value) => [jump(BPF_JMP_JEQ_K, value, 0, 1), stmt(BPF_RET_K, otherwise)]), stmt(BPF_RET_K, rule.action)];
    case 'mask-clear':
      return [load, jump(BPF_JMP_JSET_K, test.mask, 0, 1), stmt(BPF_RET_K, otherwise), stmt(BPF_RET_K, rule.action)];
  }
}

/**
 * Every program starts the same way: a call from another architecture is killed, an x32 call gets
 * the profile's foreign action, and the accumulator is left holding the system call number.
 */
function prologue(auditArch: number, foreignAction: number): Instruction[] {
  return [
    stmt(BPF_LD_W_ABS, DATA_ARCH),
    jump(BPF_JMP_JEQ_K, auditArch, 1, 0),
    stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
    stmt(BPF_LD_W_ABS, DATA_NR),
    jump(BPF_JMP_JSET_K, X32_SYSCALL_BIT, 0, 1),
    stmt(BPF_RET_K, foreignAction),
  ];
}

export function compileSeccomp(profile: SeccompProfile, arch: string = process.arch): Instruction[] {
  const { table, auditArch } = syscallTable(arch);
  const program = prologue(auditArch, profile.foreignAction);
  const seen = new Set<string>();
  for (const rule of profile.rules) {
    if (seen.has(rule.syscall)) throw new RktError('usage', 'ERR_SECCOMP_RULE_DUPLICATE', `seccomp: two rules for ${rule.syscall}`);
    seen.add(rule.syscall);
    const body = ruleBody(rule, profile.defaultAction);
    if (body.length > 255) throw new RktError('usage', 'ERR_SECCOMP_RULE_DUPLICATE', `seccomp: the rule for ${rule.syscall} is too long`);
    program.push(jump(BPF_JMP_JEQ_K, syscallNumber(table, rule.syscall), 0, body.length), ...body);
  }
  program.push(stmt(BPF_RET_K, profile.defaultAction));
  // BPF_MAXINSNS for seccomp
  if (program.length > 4096) throw new RktError('usage', 'ERR_SECCOMP_PROGRAM_TOO_LARGE', `seccomp: the filter has ${program.length} instructions (at most 4096)`);
  return program;
}

/** struct sock_filter[] in little-endian byte order. */
export function encodeProgram(program: readonly Instruction[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(ins.jt, i * 8 + 2);
    out.writeUInt8(ins.jf, i * 8 + 3);
    out.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return out;
}

/*
 * Rules with 64-bit argument conditions (the runtime-spec's seccomp format): each rule is a
 * system call, the conditions that must all hold, and the action; the first rule that matches
 * decides, and a call no rule matches gets the default action. A block per rule:
 *
 *   [ld nr]                      only when a previous block loaded an argument
 *   jeq NR, 0, <end of block>
 *   <per condition: ld the high word, test, ld the low word, test; a failing test jumps to
 *    the end of the block>
 *   ret ACTION
 */
export const BPF_ALU_AND_K = 0x54;
export const BPF_JMP_JGT_K = 0x25;
export const BPF_JMP_JGE_K = 0x35;

export type ArgOperator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked-eq';

export interface ArgCondition {
  arg: number;
  op: ArgOperator;
  /** The value compared with, 64 bits. */
  value: bigint;
  /** masked-eq: (argument & mask) == value. */
  mask?: bigint;
}

export interface ConditionalRule {
  syscall: string;
  action: number;
  /** All must hold; none: the rule always matches its call. */
  conditions: ArgCondition[];
}

export interface ConditionalProfile {
  defaultAction: number;
  foreignAction: number;
  rules: ConditionalRule[];
}

/** An instruction whose jump offsets may name the end of its block ('end'). */
type BlockInstruction = { code: number; jt: number | 'end'; jf: number | 'end'; k: number };

const argHigh = (index: number): number => 20 + 8 * index;
const low32 = (value: bigint): number => Number(value & 0xffffffffn);
const high32 = (value: bigint): number => Number((value >> 32n) & 0xffffffffn);

function conditionCode(condition: ArgCondition): BlockInstruction[] {
  const ld = (offset: number): BlockInstruction => ({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: offset });
  const j = (code: number, k: number, jt: number | 'end', jf: number | 'end'): BlockInstruction => ({ code, jt, jf, k: k >>> 0 });
  const hi = argHigh(condition.arg);
  const lo = argLow(condition.arg);
  const vh = high32(condition.value);
  const vl = low32(condition.value);
  switch (condition.op) {
    case 'eq':
      return [ld(hi), j(BPF_JMP_JEQ_K, vh, 0, 'end'), ld(lo), j(BPF_JMP_JEQ_K, vl, 0, 'end')];
    case 'ne':
      return [ld(hi), j(BPF_JMP_JEQ_K, vh, 0, 2), ld(lo), j(BPF_JMP_JEQ_K, vl, 'end', 0)];
    case 'masked-eq': {
      const mask = condition.mask ?? 0xffffffffffffffffn;
      return [
        ld(hi), { code: BPF_ALU_AND_K, jt: 0, jf: 0, k: high32(mask) }, j(BPF_JMP_JEQ_K, vh, 0, 'end'),
        ld(lo), { code: BPF_ALU_AND_K, jt: 0, jf: 0, k: low32(mask) }, j(BPF_JMP_JEQ_K, vl, 0, 'end'),
      ];
    }
    case 'gt':
    case 'ge':
      // high above: holds; high equal: the low words decide; high below: fails
      return [ld(hi), j(BPF_JMP_JGT_K, vh, 3, 0), j(BPF_JMP_JEQ_K, vh, 0, 'end'), ld(lo), j(condition.op === 'gt' ? BPF_JMP_JGT_K : BPF_JMP_JGE_K, vl, 0, 'end')];
    case 'lt':
    case 'le':
      // high above: fails; high equal: the low words decide; high below: holds
      return [ld(hi), j(BPF_JMP_JGT_K, vh, 'end', 0), j(BPF_JMP_JEQ_K, vh, 0, 2), ld(lo), j(condition.op === 'lt' ? BPF_JMP_JGE_K : BPF_JMP_JGT_K, vl, 'end', 0)];
  }
}

function resolveBlock(block: BlockInstruction[], syscall: string): Instruction[] {
  return block.map((ins, i) => {
    const toEnd = block.length - i - 1;
    if (toEnd > 255) throw new RktError('usage', 'ERR_SECCOMP_PROGRAM_TOO_LARGE', `seccomp: the rule for ${syscall} has too many conditions`);
    return { code: ins.code, jt: ins.jt === 'end' ? toEnd : ins.jt, jf: ins.jf === 'end' ? toEnd : ins.jf, k: ins.k >>> 0 };
  });
}

export function compileConditionalSeccomp(profile: ConditionalProfile, arch: string = process.arch): Instruction[] {
  const { table, auditArch } = syscallTable(arch);
  const program = prologue(auditArch, profile.foreignAction);
  let holdsNr = true;
  for (const rule of profile.rules) {
    for (const condition of rule.conditions) {
      if (!Number.isInteger(condition.arg) || condition.arg < 0 || condition.arg > 5) {
        throw new RktError('usage', 'ERR_SECCOMP_INVALID', `seccomp: ${rule.syscall}: argument index ${condition.arg} is not 0 to 5`);
      }
    }
    const body = resolveBlock([...rule.conditions.flatMap(conditionCode), { code: BPF_RET_K, jt: 0, jf: 0, k: rule.action >>> 0 }], rule.syscall);
    if (!holdsNr) program.push(stmt(BPF_LD_W_ABS, DATA_NR));
    program.push(jump(BPF_JMP_JEQ_K, syscallNumber(table, rule.syscall), 0, body.length), ...body);
    holdsNr = rule.conditions.length === 0;
  }
  program.push(stmt(BPF_RET_K, profile.defaultAction));
  if (program.length > 4096) throw new RktError('usage', 'ERR_SECCOMP_PROGRAM_TOO_LARGE', `seccomp: the filter has ${program.length} instructions (at most 4096)`);
  return program;
}
