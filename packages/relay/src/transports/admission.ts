/**
 * What both transports do before a connection exists: refuse it while the relay drains or for a foreign origin,
 * and verify a token the client sent with the request (`?token=`, or a WebSocket's `bearer.<jwt>` subprotocol)
 * before opening. Each transport writes the refusals in its own form (plain text on a WebSocket upgrade, JSON
 * with CORS headers on SSE); the rules are here once.
 */
import type { Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import { json, writeReply } from '../http/respond.js';
import type { HttpResponse } from '../uws.js';

/** A refusal before opening, which each transport writes in its own form. */
export interface Refusal {
  status: 403 | 503;
  error: string;
}

/** Why a new connection is refused before its credentials are looked at, or undefined when it may open. */
export function refusalOf(ctx: RelayContext, origin: string | undefined): Refusal | undefined {
  if (ctx.draining) return { status: 503, error: 'draining' };
  const allowed = ctx.config.allowedOrigins;
  if (allowed && origin && !allowed.includes(origin)) return { status: 403, error: 'origin not allowed' };
  return undefined;
}

/**
 * The one verify-then-open path: without a token, opens at once (the client authenticates in `hello`); with
 * one, opens with its principal once verified, or answers 401 (counted as an `unauthorized` error) and opens
 * nothing. A request the client aborted while the token was checked is left alone.
 */
export function openWhenVerified(
  res: HttpResponse,
  ctx: RelayContext,
  token: string | undefined,
  open: (principal?: Principal) => void,
  replyHeaders: Record<string, string> = {},
): void {
  if (!token) return open();
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  ctx.auth.verify(token).then(
    (principal) => {
      if (!aborted) res.cork(() => open(principal));
    },
    (error: unknown) => {
      ctx.metrics.errors.inc({ code: 'unauthorized' });
      const message = error instanceof Error ? error.message : 'unauthorized';
      if (!aborted) res.cork(() => writeReply(res, json(401, { error: message }, replyHeaders)));
    },
  );
}
