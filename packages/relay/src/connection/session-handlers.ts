/**
 * Handshake and credential refresh: `hello` (version check, token, session restore, `welcome`) and `auth`.
 * Who the connection belongs to and the deadlines of its token are set by {@link Connection.authenticate}.
 */
import { CloseCode, PROTOCOL_VERSION, type AuthFrame, type HelloFrame } from '@locallightchat/protocol';
import { AuthError, type Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import type { Connection } from './connection.js';
import type { ConversationHandlers } from './conversation-handlers.js';

/** One per relay; `hello` re-joins a restored session's conversations through the conversation handlers. */
export class SessionHandlers {
  constructor(
    private readonly ctx: RelayContext,
    private readonly conversations: ConversationHandlers,
  ) {}

  async hello(conn: Connection, frame: HelloFrame): Promise<void> {
    const { config } = this.ctx;
    if (conn.principal) return conn.error('bad-frame', 'hello was already received');
    if (frame.v !== PROTOCOL_VERSION) {
      return conn.fail(
        'unsupported-version',
        `this relay speaks protocol version ${PROTOCOL_VERSION}, the client ${frame.v}`,
        CloseCode.UnsupportedVersion,
        'unsupported protocol version',
      );
    }
    let principal: Principal | undefined = conn.upgradePrincipal;
    if (frame.token !== undefined) {
      try {
        principal = await this.ctx.auth.verify(frame.token);
      } catch (error) {
        return refuse(conn, error);
      }
    }
    if (!principal) return refuse(conn, new AuthError('unauthorized', 'no credentials: send a token in hello'));
    if (!conn.isOpen) return;
    const refused = await conn.admitUser(principal.userId);
    if (refused) {
      const seconds = Math.ceil((refused.retryAfterMs ?? 1000) / 1000);
      return conn.fail(
        'rate-limited',
        `too many connections for this user; try again in ${seconds} s`,
        CloseCode.TooManyConnections,
        'too many connections',
      );
    }
    if (!conn.isOpen) return;
    conn.authenticate(principal);
    const restored = frame.session !== undefined ? await this.restore(conn, frame.session, principal) : [];
    if (!conn.isOpen) return;
    conn.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      sessionId: conn.sessionId,
      userId: principal.userId,
      heartbeatMs: config.heartbeatMs,
      maxFrameBytes: config.maxFrameBytes,
      maxTextChars: config.maxTextChars,
      ...(principal.expiresAt !== undefined ? { tokenExpiresAt: principal.expiresAt } : {}),
      ...(restored.length ? { restored } : {}),
    });
  }

  /** Replaces the connection's credentials; the user must stay the same. Streams continue untouched. */
  async auth(conn: Connection, frame: AuthFrame): Promise<void> {
    let principal: Principal;
    try {
      principal = await this.ctx.auth.verify(frame.token);
    } catch (error) {
      const code = error instanceof AuthError ? error.code : 'unauthorized';
      return conn.error(code, error instanceof Error ? error.message : 'invalid token');
    }
    if (principal.userId !== conn.userId) return conn.error('forbidden', 'a refreshed token must be for the same user');
    conn.authenticate(principal);
  }

  /** Re-joins the conversations of a previous session (see session-memory.ts); returns the restored ids. */
  private async restore(conn: Connection, sessionId: string, principal: Principal): Promise<string[]> {
    const candidates = await this.ctx.sessions.restorable(sessionId, principal);
    const restored = await this.conversations.rejoin(conn, candidates);
    if (restored.length) this.ctx.metrics.reconnects.inc();
    return restored;
  }
}

function refuse(conn: Connection, error: unknown): void {
  const code = error instanceof AuthError ? error.code : 'unauthorized';
  conn.fail(code, error instanceof Error ? error.message : 'invalid credentials', CloseCode.Unauthorized, code);
}
