/**
 * `rkt-oci features`: what this runtime carries out, in the runtime-spec's features document shape
 * (features.md, features-linux.md; runc prints the same). Lists come from the tables the
 * translation itself uses, so they cannot claim more than it does: a name is listed only if
 * config.json may use it and rkt-oci applies it.
 */
import { CAPABILITY_NUMBERS } from '../isolation/capabilities.js';
import { SUPPORTED_NAMESPACES } from './oci-namespaces.js';
import { MOUNT_OPTIONS, RUN_HOOKS } from './oci-plan.js';
import { SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from './oci-seccomp.js';

export function ociFeatures(version: string): unknown {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: [...RUN_HOOKS],
    mountOptions: [...MOUNT_OPTIONS],
    linux: {
      namespaces: [...SUPPORTED_NAMESPACES],
      capabilities: Object.keys(CAPABILITY_NUMBERS),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: [...SECCOMP_ACTIONS],
        operators: [...SECCOMP_OPERATORS],
        // the filter is compiled for this machine's calls; other architectures' calls are refused
        archs: ['SCMP_ARCH_X86_64'],
        // accepted, and left out of the seccomp() call: each only logs or weakens the filter
        knownFlags: [...SECCOMP_FLAGS],
        supportedFlags: [],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      memoryPolicy: { modes: [], flags: [] },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: { 'io.github.rkt.oci.version': version },
    // rkt-oci acts on no annotation
    potentiallyUnsafeConfigAnnotations: [],
  };
}
