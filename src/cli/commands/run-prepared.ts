/** `rkt run-prepared UUID`: starts a prepared pod; like run, this process becomes the pod. */
import type { Command } from 'commander';
import { parseNetFlags } from '../../net/net-flags.js';
import { launchPreparedRun, prepareRunPrepared } from '../../stage0/run-pod.js';
import { addGlobalOptions } from '../global-options.js';
import { requireRoot } from '../require-root.js';
import { globalsOf } from './command-context.js';

interface RunPreparedOptions {
  net?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOpt?: string[];
  dnsDomain?: string;
  hostsEntry?: string[];
  hostname?: string;
  interactive?: boolean;
  privateUsers?: boolean;
}

const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerRunPrepared(program: Command): void {
  addGlobalOptions(
    program
      .command('run-prepared')
      .description('Run a prepared pod')
      .argument('<uuid>', 'pod UUID or unique prefix')
      .option('--net <net>', 'host, none, default, NAME[:K=V;...] or all (default: default); repeatable', repeatable)
      .option('--dns <ip>', 'name server for the pod, or host, or none; repeatable', repeatable)
      .option('--dns-search <domain>', 'DNS search domain; repeatable', repeatable)
      .option('--dns-opt <option>', 'resolv.conf option; repeatable', repeatable)
      .option('--dns-domain <domain>', 'the local domain in resolv.conf')
      .option('--hosts-entry <ip=host>', 'an /etc/hosts entry, or host; repeatable', repeatable)
      .option('--hostname <name>', "the pod's host name (default rkt-<uuid>)")
      .option('--interactive', 'give the app the terminal (single-app pods only)')
      .option('--private-users', 'run the apps in a user namespace on a host uid/gid range of their own'),
    true,
  ).action((uuid: string, options: RunPreparedOptions, command: Command) => {
    requireRoot('run-prepared');
    const globals = globalsOf(command);
    const prepared = prepareRunPrepared({
      dataDir: globals.dir,
      uuid,
      localConfig: globals.localConfig,
      net: parseNetFlags(options.net ?? []),
      dns: {
        servers: options.dns ?? [],
        search: options.dnsSearch ?? [],
        options: options.dnsOpt ?? [],
        ...(options.dnsDomain === undefined ? {} : { domain: options.dnsDomain }),
      },
      hostsEntries: options.hostsEntry ?? [],
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      ...(options.interactive ? { interactive: true } : {}),
      ...(options.privateUsers ? { privateUsers: true } : {}),
      insecure: globals.insecure,
    });
    if (globals.debug) process.stderr.write(`run-prepared: starting pod ${prepared.uuid} with ${prepared.helper}\n`);
    launchPreparedRun(prepared);
  });
}
