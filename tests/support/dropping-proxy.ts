/**
 * A plain-HTTP proxy that drops the connection half-way through a response, once: how tests cut a
 * download off (a registry blob, an ACI) to see the next fetch resume it.
 */
import http from 'node:http';
import type net from 'node:net';

export interface DroppingProxy {
  host: string;
  /** Range headers seen on requests for the paths that may be cut, in order ('' when there was none). */
  ranges: string[];
  stop(): Promise<void>;
}

/** Registry blobs: what the proxy cuts unless told otherwise. */
const BLOB_PATH = /\/blobs\/sha256:/;

/**
 * Forwards plain HTTP to `target` (`HOST:PORT`); the first 200 response larger than `cutAt` bytes
 * for a path `cuts` matches is cut off after `cutAt` bytes, the connection dropped.
 */
export async function startDroppingProxy(target: string, cutAt: number, cuts: RegExp = BLOB_PATH): Promise<DroppingProxy> {
  const ranges: string[] = [];
  let cut = false;
  const server = http.createServer((request, response) => {
    const mayCut = cuts.test(request.url ?? '');
    if (mayCut && request.method === 'GET') ranges.push(String(request.headers.range ?? ''));
    const upstream = http.request({ host: target.split(':')[0], port: Number(target.split(':')[1]), path: request.url, method: request.method, headers: { ...request.headers, host: target } }, (reply) => {
      const length = Number(reply.headers['content-length'] ?? 0);
      response.writeHead(reply.statusCode ?? 502, reply.headers);
      if (!(mayCut && !cut && reply.statusCode === 200 && length > cutAt)) {
        reply.pipe(response);
        return;
      }
      cut = true;
      let sent = 0;
      reply.on('data', (chunk: Buffer) => {
        const room = cutAt - sent;
        if (room > 0) response.write(chunk.subarray(0, room));
        sent += chunk.length;
        if (sent >= cutAt) {
          reply.destroy();
          response.socket?.destroy();
        }
      });
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    ranges,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
