/**
 * Per-user quotas of what a store keeps, shared by every adapter (each enforces them its own way: the memory
 * store in ./memory-store.ts, Redis in Lua in ./redis-store.ts). They bound what one user can make the
 * relay hold, whatever the token budget lets through: conversations owned, and bytes and messages stored
 * across all of them.
 */

/** A user's quotas; a store's options include them. */
export interface UserQuotas {
  /** Conversations one user may own; further claims are refused (nothing is evicted). */
  maxConversationsPerUser: number;
  /** Bytes of stored messages (their JSON, see `storedBytes`) one user may hold across conversations. */
  maxBytesPerUser: number;
  /** Stored messages one user may hold across conversations. */
  maxMessagesPerUser: number;
}

/** The quotas a store has unless told otherwise: generous for a person, small next to a server's memory. */
export const DEFAULT_USER_QUOTAS: UserQuotas = {
  maxConversationsPerUser: 1_000,
  maxBytesPerUser: 32 * 1024 * 1024,
  maxMessagesPerUser: 50_000,
};

/** The user-facing text of a refusal (the relay sends it in a `quota-exceeded` error frame). */
export function quotaMessage(quotas: UserQuotas, kind: 'conversations' | 'bytes' | 'messages'): string {
  switch (kind) {
    case 'conversations':
      return `you own the most conversations allowed (${quotas.maxConversationsPerUser}); delete some to start new ones`;
    case 'bytes':
      return `your stored messages reached their size limit (${sizeText(quotas.maxBytesPerUser)}); delete some conversations to write more`;
    case 'messages':
      return `your stored messages reached their limit (${quotas.maxMessagesPerUser}); delete some conversations to write more`;
  }
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / 1024 / 1024)} MiB`;
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;
}
