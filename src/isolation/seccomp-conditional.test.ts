import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BPF_ALU_AND_K, BPF_JMP_JEQ_K, BPF_JMP_JGE_K, BPF_JMP_JGT_K, BPF_JMP_JSET_K, BPF_LD_W_ABS, BPF_RET_K, AUDIT_ARCH_X86_64,
  compileConditionalSeccomp, errnoAction, SECCOMP_RET_ALLOW, type ArgOperator, type Instruction,
} from './seccomp-bpf.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

const EPERM = errnoAction(1);

/** Classic BPF over struct seccomp_data with 64-bit arguments. */
function run(program: Instruction[], nr: number, args: bigint[] = []): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(AUDIT_ARCH_X86_64, 4);
  args.forEach((value, i) => data.writeBigUInt64LE(value, 16 + 8 * i));
  let a = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    if (ins.code === BPF_LD_W_ABS) a = data.readUInt32LE(ins.k);
    else if (ins.code === BPF_ALU_AND_K) a = (a & ins.k) >>> 0;
    else if (ins.code === BPF_RET_K) return ins.k;
    else if (ins.code === BPF_JMP_JEQ_K) pc += a === ins.k ? ins.jt : ins.jf;
    else if (ins.code === BPF_JMP_JGT_K) pc += a > ins.k ? ins.jt : ins.jf;
    else if (ins.code === BPF_JMP_JGE_K) pc += a >= ins.k ? ins.jt : ins.jf;
    else if (ins.code === BPF_JMP_JSET_K) pc += (a & ins.k) !== 0 ? ins.jt : ins.jf;
    else throw new Error(`unknown opcode ${ins.code}`);
  }
  throw new Error('fell off the end of the program');
}

const holds: Record<ArgOperator, (arg: bigint, value: bigint, mask: bigint) => boolean> = {
  eq: (a, v) => a === v,
  ne: (a, v) => a !== v,
  lt: (a, v) => a < v,
  le: (a, v) => a <= v,
  gt: (a, v) => a > v,
  ge: (a, v) => a >= v,
  'masked-eq': (a, v, m) => (a & m) === v,
};

describe('compileConditionalSeccomp', () => {
  const samples = [0n, 1n, 2n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn, 0xfffffffffffffffen, 0xffffffffffffffffn, 0x7e020000n, 42n];
  for (const op of Object.keys(holds) as ArgOperator[]) {
    it(`compares 64-bit arguments with ${op} exactly`, () => {
      for (const value of samples) {
        const mask = 0xffff0000ffff0000n;
        const program = compileConditionalSeccomp({
          defaultAction: EPERM, foreignAction: EPERM,
          rules: [{ syscall: 'ioctl', action: SECCOMP_RET_ALLOW, conditions: [{ arg: 1, op, value: op === 'masked-eq' ? value & mask : value, mask }] }],
        }, 'x64');
        for (const arg of samples) {
          const expected = holds[op](arg, op === 'masked-eq' ? value & mask : value, mask) ? SECCOMP_RET_ALLOW : EPERM;
          assert.equal(run(program, SYSCALLS_X86_64.ioctl!, [0n, arg]), expected, `${arg} ${op} ${value}`);
        }
      }
    });
  }

  it('takes the first rule that matches, ANDs conditions, and reloads the call number after a conditional block', () => {
    const program = compileConditionalSeccomp({
      defaultAction: SECCOMP_RET_ALLOW, foreignAction: EPERM,
      rules: [
        { syscall: 'personality', action: errnoAction(22), conditions: [{ arg: 0, op: 'eq', value: 8n }, { arg: 1, op: 'gt', value: 3n }] },
        { syscall: 'personality', action: EPERM, conditions: [] },
        { syscall: 'mkdir', action: errnoAction(95), conditions: [] },
      ],
    }, 'x64');
    assert.equal(run(program, SYSCALLS_X86_64.personality!, [8n, 4n]), errnoAction(22));
    assert.equal(run(program, SYSCALLS_X86_64.personality!, [8n, 3n]), EPERM);
    assert.equal(run(program, SYSCALLS_X86_64.mkdir!, [8n, 4n]), errnoAction(95));
    assert.equal(run(program, SYSCALLS_X86_64.read!), SECCOMP_RET_ALLOW);
    assert.equal(run(program, SYSCALLS_X86_64.read! | 0x40000000), EPERM, 'x32 calls get the foreign action');
  });
});
