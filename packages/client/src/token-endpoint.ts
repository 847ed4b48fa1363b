/**
 * A token provider that POSTs to an endpoint returning `{ "token": "…" }` (your backend, or the relay's
 * `/auth/dev-token` in dev mode). Tokens are cached until shortly before their `expiresAt`, when the endpoint
 * returns one.
 */
import { withDefaults } from './options.js';
import type { TokenRequest } from './session.js';

export interface TokenEndpointOptions {
  /** JSON body to post (e.g. `{ user: "alice" }` for dev tokens). */
  body?: unknown;
  /**
   * Extra request options (credentials, headers…). Headers are added to `content-type: application/json`, which
   * stays unless they set their own content type; the method is always POST and the body is always `body`.
   */
  init?: Omit<RequestInit, 'method' | 'body'>;
  /** Refresh this long before expiry, ms. Default 60,000. */
  refreshLeadMs?: number;
}

/** The defaults of the optional {@link TokenEndpointOptions}. */
export const DEFAULT_TOKEN_ENDPOINT = { refreshLeadMs: 60_000 } as const satisfies TokenEndpointOptions;

export function tokenFromEndpoint(
  url: string,
  options: TokenEndpointOptions = {},
): (request?: TokenRequest) => Promise<string> {
  const { refreshLeadMs: lead } = withDefaults(DEFAULT_TOKEN_ENDPOINT, options);
  let cached: { token: string; expiresAt?: number } | undefined;
  return async (request) => {
    // A refused or expiring token is never handed out again, whatever its stated lifetime.
    const fresh = request?.reason === 'refused' || request?.reason === 'expiring';
    if (!fresh && cached && (cached.expiresAt === undefined || cached.expiresAt - lead > Date.now()))
      return cached.token;
    const response = await fetch(url, {
      ...options.init,
      method: 'POST',
      headers: jsonHeaders(options.init?.headers),
      body: JSON.stringify(options.body ?? {}),
    });
    if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
    const json = (await response.json()) as { token?: unknown; expiresAt?: unknown };
    if (typeof json.token !== 'string') throw new Error('token endpoint returned no token');
    cached = { token: json.token, ...(typeof json.expiresAt === 'number' ? { expiresAt: json.expiresAt } : {}) };
    return json.token;
  };
}

/** The caller's headers (any `HeadersInit` form) plus a JSON content type unless they name one. */
function jsonHeaders(init: HeadersInit | undefined): Headers {
  const headers = new Headers(init);
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return headers;
}
