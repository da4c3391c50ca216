/**
 * A small distribution token server for tests: HTTPS on loopback, requires basic credentials, and
 * answers `{"token": JWT}` signed (RS256) with the test token key; the JWT header carries the
 * signing certificate in `x5c`, which the registry checks against its rootcertbundle.
 */
import { createPrivateKey, createSign, randomUUID, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';

export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  /** Every request the issuer received: its query and whether it carried credentials. */
  requests: { scope: string | null; authorization: string | undefined }[];
  stop(): Promise<void>;
}

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export async function startTokenIssuer(options: { serverCert: string; serverKey: string; tokenCert: string; tokenKey: string; user: string; password: string }): Promise<TokenIssuer> {
  const service = 'rkt-test-registry';
  const issuer = 'rkt-test-issuer';
  const key = createPrivateKey(fs.readFileSync(options.tokenKey));
  const certDer = new X509Certificate(fs.readFileSync(options.tokenCert)).raw;
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  const requests: TokenIssuer['requests'] = [];

  const server = https.createServer({ cert: fs.readFileSync(options.serverCert), key: fs.readFileSync(options.serverKey) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://issuer');
    const scope = url.searchParams.get('scope');
    requests.push({ scope, authorization: req.headers.authorization });
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const access = scope
      ? [{ type: 'repository', name: scope.split(':')[1], actions: (scope.split(':')[2] ?? '').split(',').filter(Boolean) }]
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: options.user, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: `${signingInput}.${base64url(signature)}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    realm: `https://127.0.0.1:${port}/token`,
    service,
    issuer,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
