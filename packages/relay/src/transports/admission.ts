/**
 * What both transports do before a connection exists: refuse it while the relay drains or for a foreign origin,
 * and verify a token the client sent with the request (`?token=`, or a WebSocket's `bearer.<jwt>` subprotocol)
 * before opening. Each transport writes the refusals in its own form (plain text on a WebSocket upgrade, JSON
 * with CORS headers on SSE); the rules are here once.
 */
import type { Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import { json, writeReply } from '../http/respond.js';
import type { HttpRequest, HttpResponse } from '../uws.js';

/** A refusal before opening, which each transport writes in its own form. */
export interface Refusal {
  status: 403 | 503;
  error: string;
}

/**
 * Why a new connection is refused before its credentials are looked at, or undefined when it may open:
 * draining, a process at its connection capacity (both retryable), a foreign origin.
 */
export function refusalOf(
  ctx: RelayContext,
  origin: string | undefined,
  connections: { readonly full: boolean },
): Refusal | undefined {
  if (ctx.draining) return { status: 503, error: 'draining' };
  if (connections.full) return { status: 503, error: 'at capacity' };
  return originRefusal(ctx, origin);
}

/** A request from an origin outside `allowedOrigins` (requests without an Origin are not from a browser page). */
export function originRefusal(ctx: RelayContext, origin: string | undefined): Refusal | undefined {
  const allowed = ctx.config.allowedOrigins;
  if (allowed && origin && !allowed.includes(origin)) return { status: 403, error: 'origin not allowed' };
  return undefined;
}

/** The client's address for the per-address limits (see `RelayConfig.clientAddressHeader`); call synchronously. */
export function clientAddressOf(ctx: RelayContext, res: HttpResponse, req: HttpRequest): string {
  const header = ctx.config.clientAddressHeader;
  const forwarded = header ? req.getHeader(header.toLowerCase()).split(',')[0]?.trim() : undefined;
  return forwarded || remoteAddressOf(res);
}

/**
 * The peer's address as text. An IPv4 peer comes as 4 bytes, formatted here: uWS's own text form costs one more
 * native ArrayBuffer and a Buffer decode per accepted connection (3.9 vs 2.4 µs; bench/results/2026-12-05).
 * Anything else (IPv6) takes uWS's text, so the strings are the ones uWS would give.
 */
function remoteAddressOf(res: HttpResponse): string {
  const bytes = new Uint8Array(res.getRemoteAddress());
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

/**
 * The one admit-verify-open path: the client's address must be within its limits (else 429 with Retry-After,
 * counted as `rate-limited`); then, without a token, opens (the client authenticates in `hello`); with one,
 * opens with its principal once verified, or answers 401 (counted as an `unauthorized` error) and opens
 * nothing. A request the client aborted meanwhile is left alone. The connection that opens holds the address's
 * slot (it releases it when it closes); a request that does not open gives it back here.
 */
export function openWhenVerified(
  res: HttpResponse,
  ctx: RelayContext,
  address: string,
  token: string | undefined,
  open: (principal?: Principal) => void,
  replyHeaders: Record<string, string> = {},
): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (!aborted) res.cork(() => writeReply(res, json(status, body, { ...replyHeaders, ...headers })));
  };
  void (async () => {
    const refused = await ctx.limits.admitAddress(address);
    if (refused) {
      ctx.metrics.errors.inc({ code: 'rate-limited' });
      const retryAfter = String(Math.ceil((refused.retryAfterMs ?? 1000) / 1000));
      return reply(429, { error: 'too many connections from this address' }, { 'retry-after': retryAfter });
    }
    let principal: Principal | undefined;
    if (token) {
      try {
        principal = await ctx.auth.verify(token);
      } catch (error) {
        ctx.limits.releaseAddress(address);
        ctx.metrics.errors.inc({ code: 'unauthorized' });
        return reply(401, { error: error instanceof Error ? error.message : 'unauthorized' });
      }
    }
    if (aborted) return ctx.limits.releaseAddress(address);
    res.cork(() => open(principal));
  })();
}
