/**
 * `LlcClient`: the API components use. It connects to a relay, keeps conversation state, sends messages
 * (resent after reconnects until acknowledged; the relay deduplicates), stops answers and reports latency.
 *
 * Events (an EventTarget, so any framework can listen):
 *   `status`        detail: { status, retryInMs?, attempt?, reason? }
 *   `conversation`  detail: { conversationId }                       — state changed; read `snapshot()`
 *   `tokens`        detail: { conversationId, message, text, reasoning } — text appended to an answer
 *   `stream-end`    detail: { conversationId, message, metrics }
 *   `notice`        detail: { frame }                                 — errors without a message, go-away…
 */
import { newId, type ServerFrame, type WelcomeFrame } from '@locallightchat/protocol';
import type { BackoffOptions } from './backoff.js';
import { ConversationStore } from './conversation-store.js';
import { Session, type ConnectionStatus, type StatusDetail } from './session.js';
import type { TransportFactory } from './transports/transport.js';
import type { ClientMessage, ConversationSnapshot, SendOptions, StreamMetrics } from './types.js';

export interface LlcClientOptions {
  /** WebSocket URL of a relay, e.g. `wss://chat.example.com/ws`. */
  url: string;
  /**
   * Returns a token (JWT) for the relay; called before each connection and when the relay warns that the
   * current one expires. Throwing makes the client retry with backoff.
   */
  getToken: () => string | Promise<string>;
  transport?: TransportFactory;
  backoff?: BackoffOptions;
  /** Connect at construction (default true). */
  autoConnect?: boolean;
  clientName?: string;
}

export interface ClientStats {
  status: ConnectionStatus;
  reconnects: number;
  /** Where the connection lives. The multi-tab modes (shared worker, leader tab) report themselves here. */
  mode: 'direct' | 'shared-worker' | 'leader' | 'follower';
  lastStream?: StreamMetrics;
  streamsCompleted: number;
}

export class LlcClient extends EventTarget {
  private readonly session: Session;
  private readonly store: ConversationStore;
  private status: ConnectionStatus = 'idle';
  private reconnects = 0;
  private streamsCompleted = 0;
  private lastStream?: StreamMetrics;
  private welcome?: WelcomeFrame;

  constructor(private readonly options: LlcClientOptions) {
    super();
    this.store = new ConversationStore({
      onChange: (conversationId) => this.emit('conversation', { conversationId }),
      onTokens: (conversationId, message, text, reasoning) => this.emit('tokens', { conversationId, message, text, reasoning }),
      sendFrame: (frame) => void this.session.send(frame),
      onStreamEnd: (conversationId, message, metrics) => {
        this.streamsCompleted++;
        this.lastStream = metrics;
        this.emit('stream-end', { conversationId, message, metrics });
      },
    });
    this.session = new Session(
      { url: options.url, getToken: options.getToken, transport: options.transport, backoff: options.backoff, clientName: options.clientName },
      {
        onStatus: (status, detail) => this.onStatus(status, detail),
        onWelcome: (welcome) => void (this.welcome = welcome),
        onFrame: (frame) => this.onFrame(frame),
        resyncFrames: () => this.store.resyncFrames(),
      },
    );
    if (options.autoConnect ?? true) this.connect();
  }

  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** The authenticated user, once connected. */
  get userId(): string | undefined {
    return this.welcome?.userId;
  }

  /** Longest message the relay accepts. */
  get maxTextChars(): number {
    return this.welcome?.maxTextChars ?? 32_000;
  }

  get stats(): ClientStats {
    return { status: this.status, reconnects: this.reconnects, mode: 'direct', lastStream: this.lastStream, streamsCompleted: this.streamsCompleted };
  }

  connect(): void {
    this.session.start();
  }

  close(): void {
    this.session.stop();
  }

  /** Shows a conversation: loads its history and follows it live (again after every reconnect). */
  open(conversationId: string): ConversationSnapshot {
    const known = this.store.watched().includes(conversationId);
    this.store.watch(conversationId);
    if (!known) {
      this.session.send({ type: 'subscribe', conversationId });
      this.session.send({ type: 'history', conversationId, limit: 50 });
    }
    return this.store.snapshot(conversationId);
  }

  /** Current state of a conversation (immutable snapshot; a new object after each change). */
  snapshot(conversationId: string): ConversationSnapshot {
    return this.store.snapshot(conversationId);
  }

  /** Loads the page of history before the oldest message held. */
  loadOlder(conversationId: string): void {
    const { cursor } = this.store.snapshot(conversationId);
    if (cursor) this.session.send({ type: 'history', conversationId, before: cursor, limit: 50 });
  }

  /**
   * Sends a user message. It is shown at once (status `pending`), sent now if connected and otherwise after
   * the next connection, and resent until the relay acknowledges it; the relay answers each client message
   * id once, so a resend never produces a second answer.
   */
  send(conversationId: string, text: string, options: SendOptions = {}): ClientMessage {
    this.store.watch(conversationId);
    const frame = { type: 'send' as const, clientMessageId: newId('cm_'), conversationId, text, ...options };
    const message = this.store.addOutgoing(frame);
    this.session.send(frame);
    return message;
  }

  /** Stops an answer; the stop reaches the inference server. */
  stop(conversationId: string, streamId: string): void {
    this.session.send({ type: 'stop', conversationId, streamId });
  }

  /** Reconnects now (e.g. a "retry" button while waiting for the backoff). */
  reconnectNow(): void {
    this.session.reconnectNow();
  }

  private onStatus(status: ConnectionStatus, detail: StatusDetail): void {
    if (status === 'open' && this.status !== 'idle' && this.status !== 'connecting') this.reconnects++;
    this.status = status;
    this.emit('status', { status, ...detail });
  }

  private onFrame(frame: ServerFrame): void {
    this.store.apply(frame);
    if (frame.type === 'error' || frame.type === 'go-away' || frame.type === 'auth-expiring') this.emit('notice', { frame });
  }

  private emit(type: string, detail: object): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
