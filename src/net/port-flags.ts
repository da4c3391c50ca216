/**
 * `--port=NAME:[HOSTIP:]HOSTPORT` (reference §5.3): NAME is a port an app's image declares
 * (an OCI image's ExposedPorts `80/tcp` is named `80-tcp`).
 */
import net from 'node:net';
import { RktError } from '../errors/rkt-error.js';

export interface ImagePort {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export interface PortForward {
  name: string;
  protocol: 'tcp' | 'udp';
  podPort: number;
  hostPort: number;
  /** Undefined: every local address of the host. */
  hostIP?: string;
}

function portNumber(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) throw new RktError('usage', 'ERR_PORT_FLAG', `${what} "${text}" is not a port number (1-65535)`);
  return value;
}

/** OCI/Docker ExposedPorts keys, `PORT[/PROTO]` (tcp when PROTO is missing). */
export function imagePortsFromExposed(exposed: Record<string, unknown> | null | undefined): ImagePort[] {
  return Object.keys(exposed ?? {}).flatMap((key): ImagePort[] => {
    const match = /^(\d+)(?:\/(tcp|udp))?$/i.exec(key);
    if (!match) return [];
    const protocol = (match[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp';
    const port = Number(match[1]);
    return port >= 1 && port <= 65535 ? [{ name: `${port}-${protocol}`, port, protocol }] : [];
  });
}

export function parsePortFlag(value: string, imagePorts: readonly ImagePort[]): PortForward {
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new RktError('usage', 'ERR_PORT_FLAG', `--port=${value}: expected NAME:[HOSTIP:]HOSTPORT`);
  }
  const [name = '', hostIP, hostPortText = ''] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
  if (hostIP !== undefined && net.isIPv4(hostIP) === false) throw new RktError('usage', 'ERR_PORT_FLAG', `--port=${value}: "${hostIP}" is not an IPv4 address`);
  const port = imagePorts.find((entry) => entry.name === name);
  if (!port) {
    throw new RktError('usage', 'ERR_PORT_NOT_FOUND', `--port=${value}: no app's image declares a port named "${name}"`, {
      hint: imagePorts.length === 0 ? "the pod's images declare no ports" : `declared ports: ${imagePorts.map((entry) => entry.name).join(', ')}`,
    });
  }
  return { name, protocol: port.protocol, podPort: port.port, hostPort: portNumber(hostPortText, `--port=${value}: host port`), ...(hostIP ? { hostIP } : {}) };
}
