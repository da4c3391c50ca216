/**
 * The OCI runtime-spec bundle configuration (config.json), versions 1.0.0 through 1.3.0, Linux
 * only. Unknown properties are dropped, as the spec asks; fields rkt knows but does not implement
 * are kept as `unknown` so that the translation (src/oci/) can refuse them by name rather than
 * ignore something security-relevant.
 */
import * as z from 'zod/mini';

const int = () => z.number().check(z.int());
const uint = () => z.number().check(z.int(), z.nonnegative());
/** uint64 in JSON; JavaScript numbers are exact up to 2^53, which the translation checks. */
const uint64 = () => z.number().check(z.nonnegative());
const strings = () => z.array(z.string());
const unsupported = () => z.optional(z.unknown());

export const OCI_VERSION_PATTERN = /^1\.[0-3]\.[0-9]+([-+].*)?$/;

const hookSchema = z.object({
  path: z.string().check(z.refine((value) => value.startsWith('/'), 'must be an absolute path')),
  args: z.optional(strings()),
  env: z.optional(strings()),
  timeout: z.optional(z.number().check(z.int(), z.positive())),
});

const mountSchema = z.object({
  destination: z.string().check(z.minLength(1)),
  source: z.optional(z.string()),
  type: z.optional(z.string()),
  options: z.optional(strings()),
  uidMappings: unsupported(),
  gidMappings: unsupported(),
});

const capsSchema = z.object({
  bounding: z.optional(strings()),
  effective: z.optional(strings()),
  inheritable: z.optional(strings()),
  permitted: z.optional(strings()),
  ambient: z.optional(strings()),
});

const processSchema = z.object({
  terminal: z.optional(z.boolean()),
  consoleSize: z.optional(z.object({ height: uint(), width: uint() })),
  cwd: z.string().check(z.refine((value) => value.startsWith('/'), 'must be an absolute path')),
  env: z.optional(strings()),
  args: z.optional(strings()),
  commandLine: unsupported(),
  rlimits: z.optional(z.array(z.object({ type: z.string(), soft: uint64(), hard: uint64() }))),
  apparmorProfile: z.optional(z.string()),
  capabilities: z.optional(capsSchema),
  noNewPrivileges: z.optional(z.boolean()),
  oomScoreAdj: z.optional(int().check(z.gte(-1000), z.lte(1000))),
  scheduler: unsupported(),
  selinuxLabel: z.optional(z.string()),
  ioPriority: unsupported(),
  execCPUAffinity: unsupported(),
  user: z.object({
    uid: uint(),
    gid: uint(),
    umask: z.optional(uint()),
    additionalGids: z.optional(z.array(uint())),
    username: z.optional(z.string()),
  }),
});

const namespaceSchema = z.object({
  type: z.enum(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']),
  path: z.optional(z.string()),
});

const idMappingSchema = z.object({ containerID: uint(), hostID: uint(), size: uint() });

const deviceRuleSchema = z.object({
  allow: z.boolean(),
  type: z.optional(z.enum(['a', 'b', 'c'])),
  major: z.optional(z.nullable(int())),
  minor: z.optional(z.nullable(int())),
  access: z.optional(z.string().check(z.regex(/^[rwm]*$/, 'must be letters from "rwm"'))),
});

const resourcesSchema = z.object({
  devices: z.optional(z.array(deviceRuleSchema)),
  memory: z.optional(z.object({
    limit: z.optional(int()),
    reservation: z.optional(int()),
    swap: z.optional(int()),
    kernel: z.optional(int()),
    kernelTCP: z.optional(int()),
    swappiness: z.optional(uint64()),
    disableOOMKiller: z.optional(z.boolean()),
    useHierarchy: z.optional(z.boolean()),
    checkBeforeUpdate: z.optional(z.boolean()),
  })),
  cpu: z.optional(z.object({
    shares: z.optional(uint64()),
    quota: z.optional(int()),
    burst: z.optional(uint64()),
    period: z.optional(uint64()),
    realtimeRuntime: z.optional(int()),
    realtimePeriod: z.optional(uint64()),
    cpus: z.optional(z.string()),
    mems: z.optional(z.string()),
    idle: z.optional(int()),
  })),
  pids: z.optional(z.object({ limit: z.optional(int()) })),
  blockIO: unsupported(),
  hugepageLimits: unsupported(),
  network: unsupported(),
  rdma: unsupported(),
  unified: unsupported(),
});

const seccompSchema = z.object({
  defaultAction: z.string(),
  defaultErrnoRet: z.optional(uint()),
  architectures: z.optional(strings()),
  flags: z.optional(strings()),
  listenerPath: z.optional(z.string()),
  listenerMetadata: z.optional(z.string()),
  syscalls: z.optional(z.array(z.object({
    names: strings().check(z.minLength(1)),
    action: z.string(),
    errnoRet: z.optional(uint()),
    args: z.optional(z.array(z.object({
      index: uint().check(z.lte(5)),
      value: uint64(),
      valueTwo: z.optional(uint64()),
      op: z.enum(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']),
    }))),
  }))),
});

const linuxSchema = z.object({
  namespaces: z.optional(z.array(namespaceSchema)),
  uidMappings: z.optional(z.array(idMappingSchema)),
  gidMappings: z.optional(z.array(idMappingSchema)),
  timeOffsets: unsupported(),
  devices: z.optional(z.array(z.object({
    type: z.enum(['c', 'b', 'u', 'p']),
    path: z.string(),
    major: z.optional(int()),
    minor: z.optional(int()),
    fileMode: z.optional(uint()),
    uid: z.optional(uint()),
    gid: z.optional(uint()),
  }))),
  cgroupsPath: z.optional(z.string()),
  rootfsPropagation: z.optional(z.enum(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'])),
  resources: z.optional(resourcesSchema),
  sysctl: z.optional(z.record(z.string(), z.string())),
  seccomp: z.optional(seccompSchema),
  maskedPaths: z.optional(strings()),
  readonlyPaths: z.optional(strings()),
  mountLabel: z.optional(z.string()),
  intelRdt: unsupported(),
  personality: unsupported(),
  memoryPolicy: unsupported(),
  netDevices: unsupported(),
});

export const ociRuntimeConfigSchema = z.object({
  ociVersion: z.string().check(z.regex(OCI_VERSION_PATTERN, 'must be a runtime-spec version from 1.0.0 to 1.3.x')),
  root: z.object({ path: z.string().check(z.minLength(1)), readonly: z.optional(z.boolean()) }),
  mounts: z.optional(z.array(mountSchema)),
  process: z.optional(processSchema),
  hostname: z.optional(z.string()),
  domainname: z.optional(z.string()),
  hooks: z.optional(z.object({
    prestart: z.optional(z.array(hookSchema)),
    createRuntime: z.optional(z.array(hookSchema)),
    createContainer: z.optional(z.array(hookSchema)),
    startContainer: z.optional(z.array(hookSchema)),
    poststart: z.optional(z.array(hookSchema)),
    poststop: z.optional(z.array(hookSchema)),
  })),
  annotations: z.optional(z.record(z.string(), z.string())),
  linux: z.optional(linuxSchema),
  solaris: unsupported(),
  windows: unsupported(),
  vm: unsupported(),
  zos: unsupported(),
});

export type OciRuntimeConfig = z.infer<typeof ociRuntimeConfigSchema>;
export type OciMount = z.infer<typeof mountSchema>;
export type OciProcess = z.infer<typeof processSchema>;
/** A process alone: `rkt-oci exec --process FILE` (runc's process.json). */
export const ociProcessSchema = processSchema;
export type OciHook = z.infer<typeof hookSchema>;
export type OciSeccomp = z.infer<typeof seccompSchema>;
export type OciResources = z.infer<typeof resourcesSchema>;
export type OciLinux = z.infer<typeof linuxSchema>;
export type OciIdMapping = z.infer<typeof idMappingSchema>;
