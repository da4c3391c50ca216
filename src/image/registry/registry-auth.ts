/**
 * Authentication with one registry: the bearer-token flow of the distribution spec (a 401 names a
 * token realm; rkt asks it for a token for `repository:NAME:pull`, caches it per scope until it
 * expires, and retries) and HTTP basic auth (a 401 with a Basic challenge).
 *
 * Credential policy (docs/registry.md, "Authentication"):
 *  - the basic credentials go to the registry itself, and to a token realm only when that realm is
 *    HTTPS or is the registry's own origin; a plain-HTTP realm elsewhere is asked anonymously;
 *  - a realm must be HTTPS unless --insecure-options=http was given;
 *  - tokens and credentials are only ever sent to their own origin (redirects drop them).
 */
import type { RktError } from '../../errors/rkt-error.js';
import { parseJsonDocument } from '../../schema/parse-json-document.js';
import { registryTokenResponseSchema } from '../../schema/registry-token.js';
import { basicAuthorization, type RegistryCredentials } from './basic-authorization.js';
import { getFollowingRedirects } from './follow-redirects.js';
import type { TlsSettings } from './http-exchange.js';
import { discardBody, readLimitedBody } from './read-limited-body.js';
import { AUTH_HINT, HTTP_HINT, type RegistryTarget, registryError } from './registry-error.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

export interface AuthSettings {
  registry: string;
  credentials: RegistryCredentials | undefined;
  allowHttp: boolean;
  tls: TlsSettings;
  timeoutMs: number;
  deadlineMs: number;
}

const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_TOKEN_LIFETIME_S = 60;
/** Renew a little before the server's expiry, so a token does not die mid-request. */
const EXPIRY_MARGIN_MS = 5_000;

export class RegistryAuth {
  private readonly tokens = new Map<string, { authorization: string; expiresAt: number }>();
  private useBasic = false;

  constructor(private readonly settings: AuthSettings) {}

  get hasCredentials(): boolean {
    return this.settings.credentials !== undefined;
  }

  /** What to send to the registry for `scope` now, if anything. */
  authorizationFor(scope: string): string | undefined {
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > Date.now()) return cached.authorization;
    if (this.useBasic && this.settings.credentials) return basicAuthorization(this.settings.credentials);
    return undefined;
  }

  /**
   * Answers a 401 from `registryOrigin`. Returns true when there is now something new to send (the
   * caller retries once), false when there is nothing more to try.
   */
  async respondToChallenge(header: string | string[] | undefined, registryOrigin: string, scope: string, target: RegistryTarget): Promise<boolean> {
    const challenges = parseWwwAuthenticate(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw registryError('ERR_REGISTRY_AUTH_FAILED', target, 'the registry asked for a bearer token but named no realm');
      const authorization = await this.fetchToken(realm, bearer.params.service, registryOrigin, scope, target);
      this.tokens.set(scope, authorization);
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.settings.credentials && !this.useBasic) {
      this.useBasic = true;
      return true;
    }
    return false;
  }

  private async fetchToken(realm: string, service: string | undefined, registryOrigin: string, scope: string, target: RegistryTarget) {
    const tokenTarget = { ...target, what: `${target.what ? `${target.what}, ` : ''}token for ${scope}` };
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw registryError('ERR_REGISTRY_AUTH_FAILED', tokenTarget, `the token realm ${JSON.stringify(realm.slice(0, 200))} is not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.settings.allowHttp)) {
      throw registryError('ERR_REGISTRY_HTTP_REFUSED', tokenTarget, `refusing the token realm ${url.origin}: not HTTPS`, { hint: HTTP_HINT });
    }
    if (service !== undefined) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const { credentials } = this.settings;
    const sendCredentials = credentials !== undefined && (url.protocol === 'https:' || url.origin === registryOrigin);
    const response = await getFollowingRedirects(url, {
      credentialOrigin: url.origin,
      authorization: sendCredentials ? basicAuthorization(credentials) : undefined,
      headers: { Accept: 'application/json' },
      allowHttp: this.settings.allowHttp,
      tls: this.settings.tls,
      timeoutMs: this.settings.timeoutMs,
      target: tokenTarget,
    });
    if (response.status !== 200) {
      discardBody(response.body);
      const refused = response.status === 401 || response.status === 403;
      throw registryError(refused ? 'ERR_REGISTRY_UNAUTHORIZED' : 'ERR_REGISTRY_AUTH_FAILED', tokenTarget, `the token server ${url.origin} answered ${response.status}${refused && sendCredentials ? ' to the configured credentials' : ''}`, {
        ...(refused ? { hint: AUTH_HINT } : {}),
      });
    }
    const bytes = await readLimitedBody(response.body, MAX_TOKEN_RESPONSE_BYTES, this.settings.deadlineMs, tokenTarget);
    let parsed;
    try {
      parsed = parseJsonDocument(bytes, registryTokenResponseSchema, `token response from ${url.origin}`);
    } catch (error) {
      throw registryError('ERR_REGISTRY_AUTH_FAILED', tokenTarget, (error as RktError).message, { cause: error });
    }
    const token = parsed.token || parsed.access_token;
    if (!token || !/^[\x21-\x7e]{1,16384}$/.test(token)) {
      throw registryError('ERR_REGISTRY_AUTH_FAILED', tokenTarget, `the token server ${url.origin} sent no usable token`);
    }
    const lifetimeS = parsed.expires_in !== undefined && parsed.expires_in > 0 ? Math.min(parsed.expires_in, 86_400) : DEFAULT_TOKEN_LIFETIME_S;
    return { authorization: `Bearer ${token}`, expiresAt: Date.now() + lifetimeS * 1000 - EXPIRY_MARGIN_MS };
  }
}
