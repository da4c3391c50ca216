/**
 * What an app runs and with which environment, from its image config and the user's flags.
 *
 * Command line, Docker's rule for OCI images (what their authors wrote them for): `--exec` replaces
 * the Entrypoint, arguments after `--` replace the Cmd, and `--exec` alone drops the Cmd too.
 *
 * Environment, rkt's precedence (lowest first, reference §6.2): rkt's own environment with
 * `--inherit-env` (never overriding the image's values), image Env, `--set-env-file`, `--set-env`,
 * per-app `--environment`; then AC_APP_NAME, and defaults for what is still unset.
 */
import { RktError } from '../errors/rkt-error.js';
import type { OciExecConfig } from '../schema/oci-image-config.js';

export interface AppExecOverrides {
  exec?: string;
  args?: string[];
  workingDir?: string;
}

export function appArgv(appName: string, config: OciExecConfig | undefined, overrides: AppExecOverrides): string[] {
  const entrypoint = overrides.exec !== undefined ? [overrides.exec] : (config?.Entrypoint ?? []);
  const cmd = overrides.args ?? (overrides.exec !== undefined ? [] : (config?.Cmd ?? []));
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0 || argv[0] === '') {
    throw new RktError('usage', 'ERR_APP_NO_EXEC', `app "${appName}": its image defines no command (no Entrypoint or Cmd)`, {
      hint: 'name the program with --exec=/path/to/program',
    });
  }
  return argv;
}

export function appWorkingDirectory(config: OciExecConfig | undefined, overrides: AppExecOverrides): string {
  const dir = overrides.workingDir ?? config?.WorkingDir ?? '';
  if (dir === '') return '/';
  if (!dir.startsWith('/')) {
    throw new RktError('usage', 'ERR_APP_WORKING_DIR_INVALID', `working directory "${dir}" is not an absolute path`);
  }
  return dir;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `NAME=VALUE`; `where` names the flag or image the entry came from, for the error. */
export function parseEnvEntry(entry: string, where: string): [string, string] {
  const eq = entry.indexOf('=');
  const name = eq < 0 ? entry : entry.slice(0, eq);
  if (eq < 0 || !ENV_NAME.test(name)) {
    throw new RktError('usage', 'ERR_ENV_INVALID', `${where}: "${entry}" is not NAME=VALUE`);
  }
  return [name, entry.slice(eq + 1)];
}

/**
 * `--set-env-file`: one `NAME=VALUE` a line; blank lines and lines starting with `#` or `;` are
 * skipped; anything else that is not NAME=VALUE, and a name given twice, is an error naming the line.
 */
export function parseEnvFile(text: string, file: string): string[] {
  const seen = new Set<string>();
  const entries: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const where = `--set-env-file ${file}:${index + 1}`;
    const [name] = parseEnvEntry(line, where);
    if (seen.has(name)) throw new RktError('usage', 'ERR_ENV_DUPLICATE', `${where}: ${name} is set twice`);
    seen.add(name);
    entries.push(line);
  });
  return entries;
}

export interface AppEnvInput {
  appName: string;
  /** `--inherit-env`: rkt's own environment, below everything else. */
  inherited?: readonly string[];
  imageEnv: readonly string[];
  /** `--set-env-file` entries, already checked by parseEnvFile. */
  fileEnv?: readonly string[];
  podEnv: readonly string[];
  appEnv: readonly string[];
  uid: number;
}

export function appEnvironment(input: AppEnvInput): string[] {
  const env = new Map<string, string>();
  for (const entry of input.inherited ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const entry of input.imageEnv) {
    // Image configs in the wild contain odd entries; keep any NAME=VALUE without judging the name.
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const entry of input.fileEnv ?? []) env.set(...parseEnvEntry(entry, '--set-env-file'));
  const podWide = new Set<string>();
  for (const entry of input.podEnv) {
    const [name, value] = parseEnvEntry(entry, '--set-env');
    // rkt refused a name given twice: one of the two values would be silently lost.
    if (podWide.has(name)) throw new RktError('usage', 'ERR_ENV_DUPLICATE', `--set-env: ${name} is set twice`);
    podWide.add(name);
    env.set(name, value);
  }
  for (const entry of input.appEnv) env.set(...parseEnvEntry(entry, '--environment'));
  env.set('AC_APP_NAME', input.appName);
  const defaults: [string, string][] = [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['SHELL', '/bin/sh'],
    // rkt set these for every app; claiming "root" for another uid would be a lie, so only for root.
    ...(input.uid === 0 ? ([['USER', 'root'], ['LOGNAME', 'root'], ['HOME', '/root']] as [string, string][]) : [['HOME', '/'] as [string, string]]),
  ];
  for (const [name, value] of defaults) if (!env.has(name)) env.set(name, value);
  return [...env].map(([name, value]) => `${name}=${value}`);
}
