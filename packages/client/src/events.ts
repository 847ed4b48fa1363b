/**
 * The events of `LlcClient`, typed. The client is an EventTarget, so any framework can listen; this map types
 * the listeners (`client.addEventListener('status', (e) => e.detail.status)`), as `HTMLElementEventMap` does for
 * elements.
 */
import type { AuthExpiringFrame, ErrorFrame, GoAwayFrame } from '@locallightchat/protocol';
import type { ConnectionMode } from './links/link.js';
import type { ConnectionStatus, StatusDetail } from './session.js';
import type { ClientMessage, StreamMetrics } from './types.js';

export interface StatusEventDetail extends StatusDetail {
  status: ConnectionStatus;
}

export interface ConversationEventDetail {
  conversationId: string;
}

export interface StreamEndEventDetail {
  conversationId: string;
  /** The answer, finished (done, stopped or failed). */
  message: ClientMessage;
  metrics: StreamMetrics;
}

export interface NoticeEventDetail {
  frame: ErrorFrame | GoAwayFrame | AuthExpiringFrame;
}

export interface ModeEventDetail {
  mode: ConnectionMode;
}

/** Every event `LlcClient` fires, by name. */
export interface LlcClientEventMap {
  /** The connection's status changed (`reconnecting` comes with the wait before the next attempt). */
  status: CustomEvent<StatusEventDetail>;
  /** A conversation changed (any field of any message): read `client.snapshot(conversationId)`. */
  conversation: CustomEvent<ConversationEventDetail>;
  /** An answer finished (any outcome), with its latency figures. */
  'stream-end': CustomEvent<StreamEndEventDetail>;
  /** The relay said something that is not about a message: an error without one, `go-away`, `auth-expiring`. */
  notice: CustomEvent<NoticeEventDetail>;
  /** The connection moved (a follower tab became the leader, a shared worker could not start…). */
  mode: CustomEvent<ModeEventDetail>;
  /** A conversation of the user's was renamed or deleted (by this tab or another one sharing the connection). */
  library: CustomEvent<LibraryEventDetail>;
}

/** Detail of `library`: what changed in the user's list of conversations. */
export interface LibraryEventDetail {
  change: 'renamed' | 'deleted';
  conversationId: string;
  /** The new title (`renamed`). */
  title?: string;
}

/** The detail of an event of a map. */
export type DetailOf<E> = E extends CustomEvent<infer D> ? D : never;

/**
 * An EventTarget whose listeners are typed by an event map `M`. Other event names still take plain listeners,
 * as on any EventTarget.
 */
export interface TypedEventTarget<M> extends EventTarget {
  addEventListener<K extends keyof M & string>(
    type: K,
    listener: ((event: M[K]) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof M & string>(
    type: K,
    listener: ((event: M[K]) => void) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

/** `EventTarget` with the types of {@link TypedEventTarget} (a class to extend; no code of its own). */
export const TypedEventTarget = EventTarget as new <M>() => TypedEventTarget<M>;
