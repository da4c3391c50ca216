/**
 * `rkt run --net` (reference §5.1): `host`, `none`, or CNI networks by name, each optionally with
 * plugin arguments (`NAME:K=V;K2=V2`, passed to the plugins as CNI_ARGS), comma-separated and
 * repeatable; `all` selects every configured network; a bare `--net` is `default`.
 */
import { RktError } from '../errors/rkt-error.js';

export interface NetRequest {
  name: string;
  /** `K=V;K2=V2`, or '' for none. */
  args: string;
}

export type NetSelection = { mode: 'host' } | { mode: 'none' } | { mode: 'cni'; networks: NetRequest[] };

/** rkt's default when no --net is given. */
export const DEFAULT_NETWORK = 'default';

function usage(message: string): RktError {
  return new RktError('usage', 'ERR_NET_FLAG', message, {
    hint: '--net=host, --net=none, or CNI networks: --net=default, --net=NAME[:K=V;K2=V2][,NAME2...], --net=all',
  });
}

function parseOne(item: string): NetRequest {
  const colon = item.indexOf(':');
  const name = colon < 0 ? item : item.slice(0, colon);
  const args = colon < 0 ? '' : item.slice(colon + 1);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw usage(`--net: "${name}" is not a network name`);
  if (args !== '') {
    for (const pair of args.split(';')) {
      if (!/^[^=;\s]+=[^;\s]*$/.test(pair)) throw usage(`--net=${item}: plugin argument "${pair}" is not K=V`);
    }
  }
  return { name, args };
}

export function parseNetFlags(values: readonly string[]): NetSelection {
  if (values.length === 0) return { mode: 'cni', networks: [{ name: DEFAULT_NETWORK, args: '' }] };
  const items = values.flatMap((value) => (value === '' ? [DEFAULT_NETWORK] : value.split(',')));
  if (items.some((item) => item === '')) throw usage(`--net=${values.join(',')}: empty network name`);
  for (const special of ['host', 'none'] as const) {
    if (items.includes(special)) {
      if (items.length > 1) throw usage(`--net=${special} cannot be combined with other networks (got ${items.join(',')})`);
      return { mode: special };
    }
  }
  const networks = items.map(parseOne);
  const seen = new Set<string>();
  for (const net of networks) {
    if (seen.has(net.name)) throw usage(`--net: network "${net.name}" is given more than once`);
    seen.add(net.name);
    if (net.name === 'all' && net.args !== '') throw usage('--net=all takes no plugin arguments');
  }
  return { mode: 'cni', networks };
}
