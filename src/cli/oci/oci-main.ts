/**
 * `rkt-oci` (also `rkt oci …`): the OCI runtime command line as runc speaks it, so that
 * containerd's runc shim (or anything written for runc) can drive rkt's stage1 helper.
 *
 *   rkt-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--systemd-cgroup] COMMAND
 *
 * Flags are parsed by hand, as urfave/cli does for runc: `--flag value`, `--flag=value`, and the
 * single-dash spelling `-flag`. Exit status 0 on success, 1 on failure (runc's).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { isRktError } from '../../errors/rkt-error.js';
import {
  containerPids, containerProcess, containerState, createContainer, execContainer, deleteContainer, killContainer, listContainers, OCI_VERSION, parseSignal, startContainer,
  type RuntimeContext,
} from '../../oci/oci-container.js';
import { ociFeatures } from '../../oci/oci-features.js';
import { ociProcessSchema, type OciProcess } from '../../schema/oci-runtime-config.js';
import { parseJsonDocument } from '../../schema/parse-json-document.js';
import { renderTable } from '../render/table.js';

declare const RKT_VERSION: string | undefined;
const VERSION = typeof RKT_VERSION === 'string' ? RKT_VERSION : '0.0.0-dev';
export const DEFAULT_OCI_ROOT = '/run/rkt-oci';

class UsageError extends Error {}

interface Logger {
  log(level: 'debug' | 'warning' | 'error', message: string): void;
}

function makeLogger(file: string | undefined, format: string, debug: boolean): Logger {
  return {
    log(level, message) {
      if (level === 'debug' && !debug) return;
      const time = new Date().toISOString();
      const line = format === 'json'
        ? JSON.stringify({ level, msg: message, time })
        : `time="${time}" level=${level} msg=${JSON.stringify(message)}`;
      if (file) {
        try {
          fs.appendFileSync(file, `${line}\n`);
        } catch {
          // the log is best effort; stderr still has it below
        }
      }
      if (!file || level !== 'debug') process.stderr.write(level === 'debug' ? `${line}\n` : `rkt-oci: ${message}\n`);
    },
  };
}

/** Splits `args` into flags (by the given spec) and positionals, stopping flag parsing at `--`. */
function parseFlags(args: readonly string[], spec: { values?: string[]; booleans?: string[]; lists?: string[]; aliases?: Record<string, string> }, command: string) {
  const values: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || positionals.length > 0) {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let name = eq < 0 ? body : body.slice(0, eq);
    name = spec.aliases?.[name] ?? name;
    if (spec.lists?.includes(name)) {
      const value = eq < 0 ? args[++i] : body.slice(eq + 1);
      if (value === undefined) throw new UsageError(`${command}: flag --${name} needs a value`);
      (lists[name] ??= []).push(value);
    } else if (spec.values?.includes(name)) {
      const value = eq < 0 ? args[++i] : body.slice(eq + 1);
      if (value === undefined) throw new UsageError(`${command}: flag --${name} needs a value`);
      values[name] = value;
    } else if (spec.booleans?.includes(name)) {
      const value = eq < 0 ? 'true' : body.slice(eq + 1);
      if (value === 'true') booleans.add(name);
      else if (value !== 'false') throw new UsageError(`${command}: flag --${name} takes true or false, not "${value}"`);
    } else {
      throw new UsageError(`${command}: unknown flag ${arg}`);
    }
  }
  return { values, booleans, lists, positionals };
}

function oneId(positionals: readonly string[], command: string, extra = 0): string {
  if (positionals.length < 1 || positionals.length > 1 + extra) {
    throw new UsageError(`${command}: expects the container id${extra ? ' and at most one more argument' : ''} (got ${positionals.length} arguments)`);
  }
  return positionals[0]!;
}

const HELP = `rkt-oci: an OCI runtime (runc's command line) on rkt's stage1 helper

usage: rkt-oci [global flags] COMMAND [flags] ARGS

commands:
  create [--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] ID
                                               create a container; it waits for start
  start ID                                     run the user program of a created container
  exec [--process FILE | ARGS...] [--detach] [--pid-file FILE] [--tty] [--console-socket SOCKET]
       [--cwd DIR] [--env K=V]... [--user UID[:GID]] ID
                                               another process in the container (through the helper's enter)
  state ID                                     print the container's state (JSON)
  kill [--all] ID [SIGNAL]                     send SIGNAL (default TERM) to the container
  delete [--force] ID                          remove a stopped (or, with --force, any) container
  list [--format table|json] [--quiet]         list containers
  ps [--format table|json] ID                  processes of the container
  features                                     what this runtime supports (JSON)

global flags:
  --root DIR            state directory (default ${DEFAULT_OCI_ROOT})
  --log FILE            append log lines here
  --log-format FORMAT   text or json
  --debug               log debug messages
  --systemd-cgroup      refused: only the cgroupfs driver is implemented
`;

const GLOBAL_SPEC = { values: ['root', 'log', 'log-format', 'rootless', 'criu'], booleans: ['debug', 'systemd-cgroup', 'help', 'version'], aliases: { h: 'help', v: 'version' } };

/** Global flags end at the first word that is not a flag or a flag's value. */
function splitGlobal(argv: readonly string[]): { global: string[]; rest: string[] } {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const name = argv[i]!.replace(/^--?/, '');
    i += GLOBAL_SPEC.values.includes(name) ? 2 : 1;
  }
  return { global: argv.slice(0, i), rest: argv.slice(i) };
}

export async function runOci(argv: readonly string[]): Promise<number> {
  let logger = makeLogger(undefined, 'text', false);
  try {
    const { global, rest } = splitGlobal(argv);
    const flags = parseFlags(global, GLOBAL_SPEC, 'rkt-oci');
    const format = flags.values['log-format'] ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format must be text or json, not "${format}"`);
    logger = makeLogger(flags.values.log, format, flags.booleans.has('debug'));
    if (flags.booleans.has('version')) {
      process.stdout.write(`rkt-oci version ${VERSION}\nspec: ${OCI_VERSION}\n`);
      return 0;
    }
    if (flags.booleans.has('help') || rest.length === 0) {
      process.stdout.write(HELP);
      return rest.length === 0 && !flags.booleans.has('help') ? 1 : 0;
    }
    if (flags.booleans.has('systemd-cgroup')) throw new UsageError('--systemd-cgroup: the systemd cgroup driver is not supported; configure the runtime with SystemdCgroup = false');
    if (flags.values.rootless === 'true') throw new UsageError('--rootless=true: rootless containers are not supported yet');
    const ctx: RuntimeContext = {
      root: flags.values.root ?? DEFAULT_OCI_ROOT,
      debug: (message) => logger.log('debug', message),
      warn: (message) => logger.log('warning', message),
    };
    return await runCommand(ctx, rest[0]!, rest.slice(1));
  } catch (error) {
    if (error instanceof UsageError) logger.log('error', error.message);
    else if (isRktError(error)) logger.log('error', error.hint ? `${error.message} (hint: ${error.hint})` : error.message);
    else logger.log('error', `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

async function runCommand(ctx: RuntimeContext, command: string, args: string[]): Promise<number> {
  switch (command) {
    case 'create': {
      const f = parseFlags(args, { values: ['bundle', 'pid-file', 'console-socket', 'preserve-fds'], booleans: ['no-pivot', 'no-new-keyring'], aliases: { b: 'bundle' } }, 'create');
      if (f.values['preserve-fds'] !== undefined && f.values['preserve-fds'] !== '0') throw new UsageError('create: --preserve-fds is not supported yet');
      if (f.booleans.has('no-pivot')) ctx.debug('create: --no-pivot ignored: rkt always uses pivot_root');
      if (f.booleans.has('no-new-keyring')) ctx.debug('create: --no-new-keyring: rkt never creates a session keyring');
      const notes: string[] = [];
      await createContainer(ctx, {
        id: oneId(f.positionals, 'create'),
        bundle: f.values.bundle ?? process.cwd(),
        ...(f.values['pid-file'] ? { pidFile: f.values['pid-file'] } : {}),
        ...(f.values['console-socket'] ? { consoleSocket: f.values['console-socket'] } : {}),
        notes,
      });
      for (const note of notes) ctx.debug(note);
      return 0;
    }
    case 'start':
      await startContainer(ctx, oneId(parseFlags(args, {}, 'start').positionals, 'start'));
      return 0;
    case 'state':
      process.stdout.write(`${JSON.stringify(containerState(ctx, oneId(parseFlags(args, {}, 'state').positionals, 'state')), null, 2)}\n`);
      return 0;
    case 'kill': {
      const f = parseFlags(args, { booleans: ['all'], aliases: { a: 'all' } }, 'kill');
      const id = oneId(f.positionals, 'kill', 1);
      killContainer(ctx, id, parseSignal(f.positionals[1] ?? 'TERM'), f.booleans.has('all'));
      return 0;
    }
    case 'delete': {
      const f = parseFlags(args, { booleans: ['force'], aliases: { f: 'force' } }, 'delete');
      await deleteContainer(ctx, oneId(f.positionals, 'delete'), f.booleans.has('force'));
      return 0;
    }
    case 'list': {
      const f = parseFlags(args, { values: ['format'], booleans: ['quiet'], aliases: { f: 'format', q: 'quiet' } }, 'list');
      const all = listContainers(ctx);
      if (f.booleans.has('quiet')) process.stdout.write(all.map((c) => `${c.id}\n`).join(''));
      else if (f.values.format === 'json') process.stdout.write(`${JSON.stringify(all)}\n`);
      else if ((f.values.format ?? 'table') === 'table') {
        process.stdout.write(renderTable(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], all.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner || 'root']), true) || 'ID  PID  STATUS  BUNDLE  CREATED  OWNER\n');
      } else throw new UsageError(`list: --format must be table or json, not "${f.values.format}"`);
      return 0;
    }
    case 'ps': {
      const f = parseFlags(args, { values: ['format'], aliases: { f: 'format' } }, 'ps');
      const pids = containerPids(ctx, f.positionals[0] ?? oneId([], 'ps'));
      if (f.values.format === 'json') {
        process.stdout.write(`${JSON.stringify(pids)}\n`);
        return 0;
      }
      // runc: `ps` with the given arguments (default -ef), keeping the header and the container's lines
      const lines = execFileSync('ps', f.positionals.length > 1 ? f.positionals.slice(1) : ['-ef'], { encoding: 'utf8' }).split('\n');
      const pidColumn = lines[0]!.trim().split(/\s+/).indexOf('PID');
      process.stdout.write([lines[0], ...lines.slice(1).filter((line) => pids.includes(Number(line.trim().split(/\s+/)[pidColumn])))].join('\n') + '\n');
      return 0;
    }
    case 'features':
      process.stdout.write(`${JSON.stringify(ociFeatures(VERSION), null, 2)}\n`);
      return 0;
    case 'exec': {
      const f = parseFlags(args, {
        values: ['process', 'pid-file', 'cwd', 'user', 'console-socket', 'preserve-fds', 'process-label', 'apparmor', 'cgroup'],
        booleans: ['detach', 'tty', 'no-new-privs', 'ignore-paused'],
        lists: ['env', 'cap', 'additional-gids'],
        aliases: { d: 'detach', t: 'tty', e: 'env', u: 'user', p: 'process', c: 'cap', g: 'additional-gids' },
      }, 'exec');
      if (f.values['preserve-fds'] !== undefined && f.values['preserve-fds'] !== '0') throw new UsageError('exec: --preserve-fds is not supported yet');
      for (const name of ['process-label', 'apparmor', 'cgroup']) if (f.values[name]) throw new UsageError(`exec: --${name} is not supported`);
      const id = f.positionals[0];
      if (id === undefined) throw new UsageError('exec: expects the container id');
      let proc: OciProcess;
      if (f.values.process) {
        if (f.positionals.length > 1) throw new UsageError('exec: give either --process FILE or a command, not both');
        proc = parseJsonDocument(fs.readFileSync(f.values.process), ociProcessSchema, f.values.process);
      } else {
        if (f.positionals.length < 2) throw new UsageError('exec: expects the container id and a command (or --process FILE)');
        const base = containerProcess(ctx, id);
        let user = base.user;
        if (f.values.user !== undefined) {
          const match = /^([0-9]+)(?::([0-9]+))?$/.exec(f.values.user);
          if (!match) throw new UsageError(`exec: --user takes UID[:GID] in numbers, not "${f.values.user}"`);
          user = { uid: Number(match[1]), gid: match[2] === undefined ? 0 : Number(match[2]) };
        }
        if (f.lists['additional-gids']) user = { ...user, additionalGids: f.lists['additional-gids'].map(Number) };
        const caps = f.lists.cap ?? [];
        const withCaps = (set: string[] | undefined) => [...new Set([...(set ?? []), ...caps])];
        proc = {
          ...base,
          args: f.positionals.slice(1),
          env: [...(base.env ?? []), ...(f.lists.env ?? [])],
          cwd: f.values.cwd ?? base.cwd,
          user,
          ...(f.booleans.has('no-new-privs') ? { noNewPrivileges: true } : {}),
          ...(caps.length === 0 ? {} : {
            capabilities: {
              bounding: withCaps(base.capabilities?.bounding), effective: withCaps(base.capabilities?.effective),
              permitted: withCaps(base.capabilities?.permitted), ambient: withCaps(base.capabilities?.ambient),
              inheritable: base.capabilities?.inheritable ?? [],
            },
          }),
        };
      }
      const notes: string[] = [];
      if (f.booleans.has('tty')) proc = { ...proc, terminal: true };
      const status = await execContainer(ctx, {
        id,
        process: proc,
        detach: f.booleans.has('detach'),
        ...(f.values['pid-file'] ? { pidFile: f.values['pid-file'] } : {}),
        ...(f.values['console-socket'] ? { consoleSocket: f.values['console-socket'] } : {}),
        notes,
      });
      for (const note of notes) ctx.debug(note);
      return status;
    }
    case 'run':
    case 'pause':
    case 'resume':
    case 'update':
    case 'checkpoint':
    case 'restore':
    case 'events':
    case 'spec':
      throw new UsageError(`${command}: not supported yet by rkt-oci (see docs/oci-runtime.md)`);
    default:
      throw new UsageError(`unknown command "${command}" (see rkt-oci --help)`);
  }
}
