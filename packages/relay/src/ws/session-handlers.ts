/**
 * Handshake, credential refresh and heartbeats.
 */
import { CloseCode, PROTOCOL_VERSION, type AuthFrame, type HelloFrame } from '@locallightchat/protocol';
import { AuthError, type Principal } from '../auth/authenticator.js';
import type { Connection } from './connection.js';
import { join } from './conversation-handlers.js';
import { restoreSession } from './session-memory.js';

export async function handleHello(conn: Connection, frame: HelloFrame): Promise<void> {
  const { ctx } = conn;
  if (conn.principal) return conn.error('bad-frame', 'hello was already received');
  if (frame.v !== PROTOCOL_VERSION) {
    conn.error('unsupported-version', `this relay speaks protocol version ${PROTOCOL_VERSION}, the client ${frame.v}`);
    conn.flushNow();
    return conn.close(CloseCode.UnsupportedVersion, 'unsupported protocol version');
  }
  let principal: Principal | undefined = conn.upgradePrincipal;
  if (frame.token !== undefined) {
    try {
      principal = await ctx.auth.verify(frame.token);
    } catch (error) {
      return refuse(conn, error);
    }
  }
  if (!principal) return refuse(conn, new AuthError('unauthorized', 'no credentials: send a token in hello'));
  if (!conn.isOpen) return;
  conn.principal = principal;
  scheduleExpiry(conn);
  const restored = frame.session !== undefined ? await restoreSession(conn, frame.session, join) : [];
  if (!conn.isOpen) return;
  conn.send({
    type: 'welcome',
    v: PROTOCOL_VERSION,
    sessionId: conn.sessionId,
    userId: principal.userId,
    heartbeatMs: ctx.config.heartbeatMs,
    maxFrameBytes: ctx.config.maxFrameBytes,
    maxTextChars: ctx.config.maxTextChars,
    ...(principal.expiresAt !== undefined ? { tokenExpiresAt: principal.expiresAt } : {}),
    ...(restored.length ? { restored } : {}),
  });
}

/** Replaces the connection's credentials; the user must stay the same. Streams continue untouched. */
export async function handleAuth(conn: Connection, frame: AuthFrame): Promise<void> {
  let principal: Principal;
  try {
    principal = await conn.ctx.auth.verify(frame.token);
  } catch (error) {
    const code = error instanceof AuthError ? error.code : 'unauthorized';
    return conn.error(code, error instanceof Error ? error.message : 'invalid token');
  }
  if (principal.userId !== conn.userId) return conn.error('forbidden', 'a refreshed token must be for the same user');
  conn.principal = principal;
  scheduleExpiry(conn);
}

function refuse(conn: Connection, error: unknown): void {
  const code = error instanceof AuthError ? error.code : 'unauthorized';
  conn.error(code, error instanceof Error ? error.message : 'invalid credentials');
  conn.flushNow();
  conn.close(CloseCode.Unauthorized, code);
}

/** Warns before the token expires (`auth-expiring`) and closes the connection if it is not refreshed in time. */
function scheduleExpiry(conn: Connection): void {
  const expiresAt = conn.principal?.expiresAt;
  conn.authExpiresAt = expiresAt;
  conn.authWarnAt = undefined;
  if (expiresAt === undefined) return;
  const lead = Math.min(conn.ctx.config.authRefreshLeadMs, (expiresAt - Date.now()) / 2);
  conn.authWarnAt = expiresAt - Math.max(0, lead);
}
