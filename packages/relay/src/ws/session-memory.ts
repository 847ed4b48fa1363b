/**
 * Sessions outlive sockets: which conversations a connection holds is saved in the store (debounced while it
 * changes, and once more when the socket closes, so the TTL counts from the disconnect). A client that
 * reconnects — to this node or any other — names its previous `sessionId` in `hello`, and the relay re-joins
 * those conversations before `welcome`: live tokens flow again at once, and the client only resumes gaps.
 *
 * Best effort by design: while the store is down, nothing is saved and nothing restored, and clients
 * re-subscribe themselves as they always can.
 */
import { HARD_LIMITS } from '@locallightchat/protocol';
import { tokenAllows } from '../auth/authenticator.js';
import type { Connection } from './connection.js';

const SAVE_DEBOUNCE_MS = 250;
const pending = new WeakMap<Connection, ReturnType<typeof setTimeout>>();

/** Call after the connection's conversations changed. */
export function rememberSessionSoon(conn: Connection): void {
  if (!conn.principal || pending.has(conn)) return;
  pending.set(
    conn,
    conn.setTimer(() => {
      pending.delete(conn);
      void saveSession(conn, [...conn.conversations]);
    }, SAVE_DEBOUNCE_MS),
  );
}

/** Saves the session now (on close: the conversations are passed because the connection is clearing them). */
export async function saveSession(conn: Connection, conversations: string[]): Promise<void> {
  const userId = conn.principal?.userId;
  if (!userId) return;
  pending.delete(conn);
  const record = {
    sessionId: conn.sessionId,
    userId,
    conversations: conversations.slice(0, HARD_LIMITS.sessionConversations),
  };
  try {
    await conn.ctx.store.saveSession(record, conn.ctx.config.sessionTtlSec);
  } catch (error) {
    conn.ctx.log.debug(
      `session ${conn.sessionId} not saved: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Re-joins the conversations of a previous session of the same user that this token may still touch.
 * `join` is the conversation handlers' join (passed in to keep the modules acyclic). Returns the restored ids.
 */
export async function restoreSession(
  conn: Connection,
  sessionId: string,
  join: (conn: Connection, conversationId: string) => Promise<void>,
): Promise<string[]> {
  const principal = conn.principal!;
  let record;
  try {
    record = await conn.ctx.store.loadSession(sessionId);
  } catch (error) {
    conn.ctx.log.debug(`session ${sessionId} not restored: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  if (!record || record.userId !== principal.userId) return [];
  const restored: string[] = [];
  for (const conversationId of record.conversations) {
    if (!tokenAllows(principal, conversationId)) continue;
    try {
      if ((await conn.ctx.store.claimConversation(conversationId, principal.userId)) !== principal.userId) continue;
      await join(conn, conversationId);
      restored.push(conversationId);
    } catch (error) {
      conn.ctx.log.debug(
        `could not restore ${conversationId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (restored.length) conn.ctx.metrics.reconnects.inc();
  return restored;
}
