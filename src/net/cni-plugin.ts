/**
 * Runs one real CNI plugin (spec: github.com/containernetworking/cni SPEC.md): the network's
 * configuration on stdin, the command and the pod in the environment, a result or an error as
 * JSON on stdout. Every failure names the network and the plugin.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { spawnError } from '../sys/spawn-error.js';
import { cniErrorSchema } from '../schema/cni.js';
import { parseCniResult, type CniResult } from './cni-result.js';

export interface CniInvocation {
  command: 'ADD' | 'DEL';
  network: string;
  /** The whole network configuration, given to the plugin as it is. */
  conf: { type: string } & Record<string, unknown>;
  containerId: string;
  netns: string;
  ifName: string;
  /** `K=V;K2=V2`, or ''. */
  args: string;
  /** Where the plugin and the plugins it delegates to (IPAM) are looked up: CNI_PATH. */
  pluginDirs: string[];
}

const PLUGIN_TIMEOUT_MS = 60_000;

export function findPlugin(type: string, dirs: readonly string[], network: string): string {
  for (const dir of dirs) {
    const file = path.join(dir, type);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not in this directory
    }
  }
  throw new RktError('system', 'ERR_NET_PLUGIN_NOT_FOUND', `network "${network}": CNI plugin "${type}" was not found in ${dirs.join(', ')}`, {
    hint: 'install the CNI plugins (Debian: apt-get install containernetworking-plugins), or put the plugin in <local-config>/net.d',
  });
}

function describeFailure(stdout: string, stderr: string): string {
  try {
    const parsed = cniErrorSchema.safeParse(JSON.parse(stdout));
    if (parsed.success) return `${parsed.data.msg}${parsed.data.details ? ` (${parsed.data.details})` : ''} [CNI error ${parsed.data.code}]`;
  } catch {
    // not JSON: fall back to what it printed
  }
  return (stderr.trim() || stdout.trim() || 'no output').split('\n').slice(-3).join(' / ');
}

/** Returns the result of ADD; DEL returns nothing. */
export function runCniPlugin(invocation: CniInvocation): CniResult | undefined {
  const plugin = findPlugin(invocation.conf.type, invocation.pluginDirs, invocation.network);
  const where = `network "${invocation.network}": CNI plugin ${invocation.conf.type} (${plugin}) ${invocation.command}`;
  const child = spawnSync(plugin, [], {
    input: JSON.stringify(invocation.conf),
    encoding: 'utf8',
    timeout: PLUGIN_TIMEOUT_MS,
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: invocation.command,
      CNI_CONTAINERID: invocation.containerId,
      CNI_NETNS: invocation.netns,
      CNI_IFNAME: invocation.ifName,
      CNI_ARGS: invocation.args,
      CNI_PATH: invocation.pluginDirs.join(':'),
    },
  });
  const error = spawnError(child);
  if (error) throw new RktError('system', 'ERR_NET_PLUGIN_FAILED', `${where}: ${error.message}`);
  if (child.status !== 0) {
    throw new RktError('system', 'ERR_NET_PLUGIN_FAILED', `${where} failed: ${describeFailure(child.stdout, child.stderr)}`);
  }
  if (invocation.command === 'DEL') return undefined;
  try {
    return parseCniResult(JSON.parse(child.stdout));
  } catch (error) {
    throw new RktError('system', 'ERR_NET_PLUGIN_RESULT', `${where}: ${(error as Error).message}`);
  }
}
