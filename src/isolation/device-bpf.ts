/**
 * The device allow-list on cgroup v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE,
 * compiled here from the same rules the v1 devices controller gets (`ALLOWED_DEVICES`), loaded and
 * attached to each app's cgroup by the helper. The kernel calls it on every open and mknod of a
 * device node with `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`
 * (access_type = access << 16 | type); it returns 1 to allow, 0 to deny. Like runc's
 * devicefilter: one block per rule, falling through to the next rule on a mismatch, deny last.
 */
import { ALLOWED_DEVICES } from './cgroups.js';

const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC_MKNOD = 1;
const ACC_READ = 2;
const ACC_WRITE = 4;

// eBPF opcodes (include/uapi/linux/bpf.h, bpf_common.h)
const LDX_MEM_W = 0x61;
const ALU64_AND_K = 0x57;
const ALU64_RSH_K = 0x77;
const ALU64_MOV_K = 0xb7;
const ALU64_MOV_X = 0xbf;
const JMP_JNE_K = 0x55;
const EXIT = 0x95;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

interface DeviceRule {
  type: number | undefined;
  major: number | undefined;
  minor: number | undefined;
  access: number;
}

/** `c 1:3 rwm`, `b *:* m`, … as the v1 devices.allow lines. */
export function parseDeviceRule(text: string): DeviceRule {
  const match = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(text);
  if (!match) throw new Error(`bad device rule "${text}"`);
  const num = (value: string) => (value === '*' ? undefined : Number(value));
  let access = 0;
  for (const letter of match[4]!) access |= letter === 'r' ? ACC_READ : letter === 'w' ? ACC_WRITE : ACC_MKNOD;
  return { type: match[1] === 'a' ? undefined : match[1] === 'b' ? DEV_BLOCK : DEV_CHAR, major: num(match[2]!), minor: num(match[3]!), access };
}

/** The program's instructions, for the rules given (default: the pod default allow-list). */
export function compileDeviceFilter(rules: readonly string[] = ALLOWED_DEVICES): Insn[] {
  const prog: Insn[] = [
    insn(LDX_MEM_W, 2, 1, 0, 0), // r2 = access_type
    insn(ALU64_AND_K, 2, 0, 0, 0xffff), // r2 = type
    insn(LDX_MEM_W, 3, 1, 0, 0),
    insn(ALU64_RSH_K, 3, 0, 0, 16), // r3 = access
    insn(LDX_MEM_W, 4, 1, 4, 0), // r4 = major
    insn(LDX_MEM_W, 5, 1, 8, 0), // r5 = minor
  ];
  for (const text of rules) {
    const rule = parseDeviceRule(text);
    const block: Insn[] = [];
    // each jump is patched to land just past this block
    const skip = (code: number, dst: number, imm: number) => block.push(insn(code, dst, 0, -1, imm));
    if (rule.type !== undefined) skip(JMP_JNE_K, 2, rule.type);
    if (rule.access !== (ACC_MKNOD | ACC_READ | ACC_WRITE)) {
      // the requested access must be within the rule's: (access & ~allowed) == 0
      block.push(insn(ALU64_MOV_X, 1, 3, 0, 0));
      block.push(insn(ALU64_AND_K, 1, 0, 0, ~rule.access & 0x7));
      skip(JMP_JNE_K, 1, 0);
    }
    if (rule.major !== undefined) skip(JMP_JNE_K, 4, rule.major);
    if (rule.minor !== undefined) skip(JMP_JNE_K, 5, rule.minor);
    block.push(insn(ALU64_MOV_K, 0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0));
    block.forEach((entry, i) => {
      if (entry.off === -1) entry.off = block.length - i - 1;
    });
    prog.push(...block);
  }
  prog.push(insn(ALU64_MOV_K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0));
  return prog;
}

/** struct bpf_insn[]: code, dst_reg:4 | src_reg:4, s16 off, s32 imm, little-endian as the host (x86_64). */
export function encodeDeviceFilter(prog: readonly Insn[]): Buffer {
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((entry, i) => {
    out.writeUInt8(entry.code, i * 8);
    out.writeUInt8((entry.src << 4) | entry.dst, i * 8 + 1);
    out.writeInt16LE(entry.off, i * 8 + 2);
    out.writeInt32LE(entry.imm, i * 8 + 4);
  });
  return out;
}

/** What the program answers for one access: a reference evaluation of the same rules, for tests. */
export function runDeviceFilter(prog: readonly Insn[], type: 'b' | 'c', major: number, minor: number, access: 'r' | 'w' | 'm'): boolean {
  const regs = new Array<bigint>(11).fill(0n);
  const ctx = [BigInt((({ r: ACC_READ, w: ACC_WRITE, m: ACC_MKNOD })[access] << 16) | (type === 'b' ? DEV_BLOCK : DEV_CHAR)), BigInt(major), BigInt(minor)];
  const mask = (1n << 64n) - 1n;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, dst, src, off, imm } = prog[pc]!;
    const k = BigInt.asUintN(64, BigInt(imm));
    if (code === LDX_MEM_W) regs[dst] = ctx[off / 4]!;
    else if (code === ALU64_AND_K) regs[dst] = regs[dst]! & k;
    else if (code === ALU64_RSH_K) regs[dst] = regs[dst]! >> k;
    else if (code === ALU64_MOV_K) regs[dst] = k & mask;
    else if (code === ALU64_MOV_X) regs[dst] = regs[src]!;
    else if (code === JMP_JNE_K) pc += regs[dst] !== k ? off : 0;
    else if (code === EXIT) return regs[0] === 1n;
    else throw new Error(`opcode ${code}`);
  }
  throw new Error('fell off the end');
}
