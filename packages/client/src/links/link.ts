/**
 * A link is how one tab's client reaches the relay. There are four kinds, one interface:
 *
 *   direct         the tab owns a {@link Session} (a socket) itself
 *   shared-worker  a SharedWorker owns the one socket of all tabs of the origin; tabs talk to it over ports
 *   leader         this tab won the Web Lock and owns the socket; the other tabs reach it over BroadcastChannel
 *   follower       another tab is the leader; this one reaches it over BroadcastChannel
 *
 * The owner of a shared socket (a {@link ConnectionOwner}) forwards every server frame to every tab and each tab
 * keeps its own conversation state, so tabs never know whether they share: after each (re)connect, every tab
 * sends its own resync frames (subscribes, resumes, unacknowledged sends) through the owner, and the seq rule in
 * each tab drops what it already holds.
 */
import type { ClientFrame, ServerFrame, WelcomeFrame } from '@locallightchat/protocol';
import type { BackoffOptions } from '../backoff.js';
import type { ConnectionStatus, SessionHooks, StatusDetail, TokenRequest } from '../session.js';
import type { TransportChoice } from '../transports/transport.js';

export type ConnectionMode = 'direct' | 'shared-worker' | 'leader' | 'follower';

export interface Link {
  readonly mode: ConnectionMode;
  start(): void;
  stop(): void;
  /** Sends if the link is open; false otherwise (the tab resends it in its next resync). */
  send(frame: ClientFrame): boolean;
  reconnectNow(): void;
}

export interface LinkHooks extends SessionHooks {
  /** The mode changed (a follower became leader). */
  onMode?(mode: ConnectionMode): void;
}

/** What the owner of a shared connection needs to know; plain data, so it can cross to a worker. */
export interface OwnerConfig {
  /** Separates connections of different relays (or users) on one origin. */
  key: string;
  url: string;
  clientName?: string;
  backoff?: Omit<BackoffOptions, 'random'>;
  transport?: TransportChoice;
}

// ───────────── messages between tabs and the owner (ports or BroadcastChannel) ─────────────

export type TabMessage =
  | { t: 'attach'; tab: string; config: OwnerConfig }
  | { t: 'up'; tab: string; frame: ClientFrame }
  | { t: 'reconnect'; tab: string }
  | { t: 'detach'; tab: string }
  | { t: 'token'; tab: string; id: number; token?: string; error?: string };

export type OwnerMessage =
  | { t: 'state'; status: ConnectionStatus; detail: StatusDetail; welcome?: WelcomeFrame; to?: string }
  | { t: 'down'; frame: ServerFrame }
  | { t: 'token?'; id: number; to: string; reason?: TokenRequest['reason'] };

const TAB_TYPES = new Set(['attach', 'up', 'reconnect', 'detach', 'token']);
const OWNER_TYPES = new Set(['state', 'down', 'token?']);

export function isTabMessage(value: unknown): value is TabMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    TAB_TYPES.has((value as { t?: unknown }).t as string) &&
    typeof (value as { tab?: unknown }).tab === 'string'
  );
}

export function isOwnerMessage(value: unknown): value is OwnerMessage {
  return typeof value === 'object' && value !== null && OWNER_TYPES.has((value as { t?: unknown }).t as string);
}
