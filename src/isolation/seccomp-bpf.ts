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

export function compileSeccomp(profile: SeccompProfile, arch: string = process.arch): Instruction[] {
  const { table, auditArch } = syscallTable(arch);
  const program: Instruction[] = [
    stmt(BPF_LD_W_ABS, DATA_ARCH),
    jump(BPF_JMP_JEQ_K, auditArch, 1, 0),
    stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
    stmt(BPF_LD_W_ABS, DATA_NR),
    jump(BPF_JMP_JSET_K, X32_SYSCALL_BIT, 0, 1),
    stmt(BPF_RET_K, profile.foreignAction),
  ];
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
