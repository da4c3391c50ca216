import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUDIT_ARCH_X86_64, BPF_JMP_JEQ_K, BPF_JMP_JSET_K, BPF_LD_W_ABS, BPF_RET_K, compileSeccomp, encodeProgram, errnoAction,
  SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, type Instruction,
} from './seccomp-bpf.js';
import { seccompProfile } from './seccomp-profile.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

const EPERM = errnoAction(1);

/** A classic-BPF interpreter for the instructions the compiler emits, over struct seccomp_data. */
function run(program: Instruction[], nr: number, args: number[] = [], arch = AUDIT_ARCH_X86_64): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((value, i) => data.writeUInt32LE(value >>> 0, 16 + 8 * i));
  let a = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    if (ins.code === BPF_LD_W_ABS) a = data.readUInt32LE(ins.k);
    else if (ins.code === BPF_RET_K) return ins.k;
    else if (ins.code === BPF_JMP_JEQ_K) pc += a === ins.k ? ins.jt : ins.jf;
    else if (ins.code === BPF_JMP_JSET_K) pc += (a & ins.k) !== 0 ? ins.jt : ins.jf;
    else throw new Error(`unknown opcode ${ins.code}`);
  }
  throw new Error('fell off the end of the program');
}

describe('compileSeccomp', () => {
  it('emits the arch check, the x32 refusal, one block per call and the default', () => {
    const program = compileSeccomp({ defaultAction: EPERM, foreignAction: EPERM, rules: [{ syscall: 'read', action: SECCOMP_RET_ALLOW }] }, 'x64');
    assert.deepEqual(program, [
      { code: 0x20, jt: 0, jf: 0, k: 4 },
      { code: 0x15, jt: 1, jf: 0, k: 0xc000003e },
      { code: 0x06, jt: 0, jf: 0, k: 0x80000000 },
      { code: 0x20, jt: 0, jf: 0, k: 0 },
      { code: 0x45, jt: 0, jf: 1, k: 0x40000000 },
      { code: 0x06, jt: 0, jf: 0, k: 0x00050001 },
      { code: 0x15, jt: 0, jf: 1, k: 0 },
      { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
      { code: 0x06, jt: 0, jf: 0, k: 0x00050001 },
    ]);
  });

  it('encodes struct sock_filter little-endian, 8 bytes each', () => {
    const bytes = encodeProgram([{ code: 0x15, jt: 1, jf: 2, k: 0xc000003e }]);
    assert.equal(bytes.toString('hex'), '150001023e0000c0');
  });

  it('refuses an unknown system call by name, and architectures without a table', () => {
    assert.throws(() => compileSeccomp({ defaultAction: EPERM, foreignAction: EPERM, rules: [{ syscall: 'no_such_call', action: 0 }] }, 'x64'),
      (error: Error & { code?: string }) => error.code === 'ERR_SECCOMP_SYSCALL_UNKNOWN' && /no_such_call/.test(error.message));
    assert.throws(() => compileSeccomp({ defaultAction: EPERM, foreignAction: EPERM, rules: [] }, 'arm64'),
      (error: Error & { code?: string }) => error.code === 'ERR_SECCOMP_ARCH_UNSUPPORTED' && /arm64/.test(error.message));
  });

  it('refuses two rules for one call', () => {
    assert.throws(() => compileSeccomp({ defaultAction: EPERM, foreignAction: EPERM, rules: [
      { syscall: 'read', action: SECCOMP_RET_ALLOW }, { syscall: 'read', action: EPERM },
    ] }, 'x64'), /two rules for read/);
  });
});

describe('the default profile, run through a BPF interpreter', () => {
  const program = compileSeccomp(seccompProfile(undefined, DEFAULT_CAPABILITIES, 'x64')!, 'x64');
  const nr = (name: string) => SYSCALLS_X86_64[name]!;

  it('allows the ordinary calls and returns EPERM for the dangerous ones', () => {
    for (const name of ['read', 'write', 'openat', 'execve', 'exit_group', 'chroot', 'ptrace']) assert.equal(run(program, nr(name)), SECCOMP_RET_ALLOW, name);
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'bpf', 'keyctl', 'kexec_load', 'init_module', 'reboot', 'pivot_root', 'io_uring_setup', 'userfaultfd']) {
      assert.equal(run(program, nr(name)), EPERM, name);
    }
  });

  it('checks clone flags, socket families and personality values', () => {
    assert.equal(run(program, nr('clone'), [0x01200011]), SECCOMP_RET_ALLOW, 'fork-like clone');
    assert.equal(run(program, nr('clone'), [0x10000000 | 17]), EPERM, 'CLONE_NEWUSER');
    assert.equal(run(program, nr('clone3')), errnoAction(38), 'clone3 gets ENOSYS');
    assert.equal(run(program, nr('socket'), [2]), SECCOMP_RET_ALLOW);
    assert.equal(run(program, nr('socket'), [40]), EPERM, 'AF_VSOCK');
    assert.equal(run(program, nr('socket'), [38]), EPERM, 'AF_ALG');
    assert.equal(run(program, nr('personality'), [8]), SECCOMP_RET_ALLOW);
    assert.equal(run(program, nr('personality'), [0x0040000]), EPERM);
  });

  it('kills calls from another audit architecture and refuses x32 numbers', () => {
    assert.equal(run(program, 0, [], 0x40000003), SECCOMP_RET_KILL_PROCESS);
    assert.equal(run(program, 0x40000000 | nr('read')), EPERM);
  });

  it('allows mount and unshare once CAP_SYS_ADMIN is retained, and clone unconditionally', () => {
    const admin = compileSeccomp(seccompProfile(undefined, [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'x64')!, 'x64');
    assert.equal(run(admin, nr('mount')), SECCOMP_RET_ALLOW);
    assert.equal(run(admin, nr('clone'), [0x10000000]), SECCOMP_RET_ALLOW);
  });
});

describe('rkt --seccomp modes', () => {
  const nr = (name: string) => SYSCALLS_X86_64[name]!;

  it('remove: the listed calls are killed, the rest allowed', () => {
    const program = compileSeccomp(seccompProfile({ mode: 'remove', names: ['mkdir', 'mkdirat'] }, DEFAULT_CAPABILITIES, 'x64')!, 'x64');
    assert.equal(run(program, nr('mkdir')), SECCOMP_RET_KILL_PROCESS);
    assert.equal(run(program, nr('mount')), SECCOMP_RET_ALLOW);
    assert.equal(run(program, 0x40000000 | nr('mkdir')), SECCOMP_RET_KILL_PROCESS, 'x32 cannot go around the list');
  });

  it('remove with errno: the listed calls fail with it', () => {
    const program = compileSeccomp(seccompProfile({ mode: 'remove', errno: 'ENOTSUP', names: ['mkdir'] }, DEFAULT_CAPABILITIES, 'x64')!, 'x64');
    assert.equal(run(program, nr('mkdir')), errnoAction(95));
  });

  it('retain: only the listed calls (and execve, exit, exit_group, rt_sigreturn) pass', () => {
    const program = compileSeccomp(seccompProfile({ mode: 'retain', names: ['read', 'write'] }, DEFAULT_CAPABILITIES, 'x64')!, 'x64');
    for (const name of ['read', 'write', 'execve', 'exit_group']) assert.equal(run(program, nr(name)), SECCOMP_RET_ALLOW, name);
    assert.equal(run(program, nr('openat')), SECCOMP_RET_KILL_PROCESS);
  });

  it('wildcards: @appc.io/all retained is no filter; @docker/default-blacklist expands', () => {
    assert.equal(seccompProfile({ mode: 'retain', names: ['@appc.io/all'] }, DEFAULT_CAPABILITIES, 'x64'), undefined);
    const profile = seccompProfile({ mode: 'remove', names: ['@docker/default-blacklist'] }, DEFAULT_CAPABILITIES, 'x64')!;
    assert.ok(profile.rules.some((rule) => rule.syscall === 'kexec_load'));
    assert.ok(!profile.rules.some((rule) => rule.syscall === 'vm86'), '32-bit-only names are skipped on x86_64');
    assert.throws(() => seccompProfile({ mode: 'remove', names: ['@nope/x'] }, DEFAULT_CAPABILITIES, 'x64'), /unknown wildcard/);
  });
});
