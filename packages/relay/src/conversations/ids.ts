/**
 * Deterministic ids. A user message, the stream answering it and the stored answer all derive from
 * (userId, clientMessageId), so every step of accepting a message is idempotent: a retried `send` — from the
 * client's outbox, or after a relay crash — maps to the same stored message, the same broker request and the
 * same stream, on any node.
 */
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** 22 base62 characters (≈131 bits) of SHA-256 over the key. */
function digest(key: string): string {
  const bytes = createHash('sha256').update(key).digest();
  let out = '';
  for (let i = 0; i < 22; i++) out += ALPHABET[bytes[i]! % 62];
  return out;
}

export interface MessageIds {
  /** The stored user message. */
  messageId: string;
  /** The stream that answers it. */
  streamId: string;
}

export function idsForSend(userId: string, clientMessageId: string): MessageIds {
  const d = digest(`${userId}\u0000${clientMessageId}`);
  return { messageId: `m${d}`, streamId: `s${d}` };
}

/** The stored assistant message of a stream. */
export function assistantMessageId(streamId: string): string {
  return `a${streamId.slice(1)}`;
}

/** The stored user message a stream answers (the inverse of the stream half of {@link idsForSend}). */
export function userMessageIdOf(streamId: string): string {
  return `m${streamId.slice(1)}`;
}
