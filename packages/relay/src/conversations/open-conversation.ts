/** What one relay node holds of one conversation its sockets have open (conversation-hub.ts). */
import type { ConversationEvent, Subscription } from '@locallightchat/broker';
import type { StreamRecord } from './stream-record.js';

/** A local socket (or anything) that wants a conversation's events. */
export interface HubMember {
  /** `receivedAt` is performance.now() when the event arrived from the broker (undefined for replays). */
  deliver(event: ConversationEvent, bytes: Uint8Array, receivedAt: number | undefined): void;
  /** The conversation was deleted and the hub let this member go: it no longer follows it (see forget). */
  released?(conversationId: string): void;
  /** The deletion that released it is complete: tell the socket (`conversation-deleted`). */
  conversationDeleted?(conversationId: string): void;
}

/** One conversation open on this node: its members (sockets), its streams, its broker subscription, its linger. */
export class OpenConversation {
  readonly members = new Set<HubMember>();
  readonly streams = new Map<string, StreamRecord>();
  subscription?: Subscription;
  /** Resolves once retained events were loaded; live events arriving before that are applied after them. */
  ready: Promise<void> = Promise.resolve();
  seeding = true;
  pendingLive: [ConversationEvent, Uint8Array, number][] = [];
  lingerTimer?: ReturnType<typeof setTimeout>;
  /** The linger ran out while a stream ran: kept open only to follow it to its end (see lingerEnded). */
  following = false;
  constructor(readonly id: string) {}
}
