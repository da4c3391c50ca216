/**
 * HTTP Basic credentials as an Authorization header value. A module of its own because stage0
 * builds auth.d headers at every `rkt run` (registry-access.ts), and the registry client it would
 * otherwise come from pulls in the HTTP and TLS stack.
 */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
