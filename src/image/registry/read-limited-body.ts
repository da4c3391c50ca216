/**
 * Reads a small response body (manifest, token, error document) whole, but never more than a
 * limit: a declared Content-Length over it is refused before reading, and a body that keeps coming
 * (a server streaming forever) is cut off as soon as it passes the limit. An overall deadline
 * bounds a server that trickles bytes just fast enough to dodge the idle timeout.
 */
import type { IncomingMessage } from 'node:http';
import { type RegistryTarget, registryError } from './registry-error.js';

export async function readLimitedBody(body: IncomingMessage, limit: number, deadlineMs: number, target: RegistryTarget): Promise<Buffer> {
  const declared = Number(body.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    body.destroy();
    throw tooLarge(target, `the response declares ${declared} bytes, more than the limit of ${limit}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const timer = setTimeout(() => body.destroy(registryError('ERR_REGISTRY_TIMEOUT', target, `the response took longer than ${deadlineMs} ms`)), deadlineMs);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) {
        body.destroy();
        throw tooLarge(target, `the response is longer than the limit of ${limit} bytes; cut off`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if ((error as Error).name === 'RktError') throw error;
    throw registryError('ERR_REGISTRY_UNREACHABLE', target, `the response was cut off: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(target: RegistryTarget, problem: string) {
  return registryError('ERR_REGISTRY_TOO_LARGE', target, problem, {
    hint: 'manifests and tokens are small; the registry is misbehaving or hostile',
  });
}

/** Drops a body we do not need (agent:false: one connection per request, so nothing to reuse). */
export function discardBody(body: IncomingMessage): void {
  body.on('error', () => undefined);
  body.destroy();
}
