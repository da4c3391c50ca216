/** The OCI platform (os/architecture) of this host, used to pick an image from a multi-platform index. */
import { endianness } from 'node:os';
import type { OciPlatform } from '../schema/oci-descriptor.js';

/** Node's process.arch names → GOARCH names, which OCI uses. */
const NODE_ARCH_TO_OCI: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

export function hostOciArchitecture(): string {
  // Node calls both byte orders "ppc64"; OCI images almost always mean the little-endian one.
  if (process.arch === 'ppc64') return endianness() === 'LE' ? 'ppc64le' : 'ppc64';
  return NODE_ARCH_TO_OCI[process.arch] ?? process.arch;
}

/** Whether a platform can run here. Variants (arm v6/v7/v8) are not compared yet. */
export function platformMatchesHost(platform: Pick<OciPlatform, 'os' | 'architecture'>): boolean {
  return platform.os === 'linux' && platform.architecture === hostOciArchitecture();
}
