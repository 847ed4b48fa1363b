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
 *   `mode`          detail: { mode }                                  — the connection moved (follower → leader…)
 */
import { newId, type SendFrame, type ServerFrame, type WelcomeFrame } from '@locallightchat/protocol';
import type { BackoffOptions } from './backoff.js';
import { ConversationStore } from './conversation-store.js';
import { defaultLocalStore, MemoryLocalStore, type LocalStore } from './persistence/local-store.js';
import { createLink, type ConnectionPreference } from './links/create.js';
import type { ConnectionMode, Link, TransportChoice } from './links/link.js';
import type { ConnectionStatus, StatusDetail, TokenProvider } from './session.js';
import type { TransportFactory } from './transports/transport.js';
import type { ClientMessage, ConversationSnapshot, SendOptions, StreamMetrics } from './types.js';

export interface LlcClientOptions {
  /** WebSocket URL of a relay, e.g. `wss://chat.example.com/ws`. */
  url: string;
  /**
   * Returns a token (JWT) for the relay; called before each connection and when the relay warns that the
   * current one expires (`request.reason` says why: bypass any cache for `refused` and `expiring`). Throwing
   * makes the client retry with backoff.
   */
  getToken: TokenProvider;
  /** A custom transport factory (forces the `direct` connection mode: a function cannot be shared). */
  transport?: TransportFactory;
  /**
   * The transport the connection uses: `auto` (default) = WebSocket, falling back to SSE + HTTP POST after
   * WebSocket attempts fail without ever opening; `websocket` or `sse` force one.
   */
  transportKind?: TransportChoice;
  /**
   * Where the connection lives (default `auto`): a SharedWorker shared by all tabs of the origin when the page
   * can host one, else one leader tab elected with Web Locks relaying to the others over BroadcastChannel,
   * else a socket per tab. `client.stats.mode` tells which one runs.
   */
  connection?: ConnectionPreference;
  /** URL of the shared worker script (`@locallightchat/client/shared-worker`), when you host it yourself. */
  sharedWorkerUrl?: string | URL;
  backoff?: BackoffOptions;
  /** Connect at construction (default true). */
  autoConnect?: boolean;
  clientName?: string;
  /**
   * Where the outbox and the conversation cache live: IndexedDB by default (database `llc:<url>`, or
   * `llc:<storageName>`), `false` for memory only, or your own {@link LocalStore}.
   */
  storage?: LocalStore | false;
  /** Names the IndexedDB database (e.g. per signed-in user when several share an origin). */
  storageName?: string;
}

/** A call the client cannot honour (unknown message, a message without a server id yet…). */
export class LlcClientError extends Error {
  override readonly name = 'LlcClientError';
}

export interface ClientStats {
  status: ConnectionStatus;
  reconnects: number;
  /** Where the connection lives. The multi-tab modes (shared worker, leader tab) report themselves here. */
  mode: ConnectionMode;
  /** The transport of the (shared) connection while open. */
  transport?: 'websocket' | 'sse';
  lastStream?: StreamMetrics;
  streamsCompleted: number;
}

export class LlcClient extends EventTarget {
  private readonly session: Link;
  private readonly store: ConversationStore;
  private status: ConnectionStatus = 'idle';
  private transport?: 'websocket' | 'sse';
  private reconnects = 0;
  private streamsCompleted = 0;
  private lastStream?: StreamMetrics;
  private welcome?: WelcomeFrame;
  private readonly local: LocalStore;
  private readonly saveTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Resolves once the outbox of earlier pages is loaded (and queued for sending). */
  readonly restored: Promise<void>;

  constructor(private readonly options: LlcClientOptions) {
    super();
    this.local =
      options.storage === false
        ? new MemoryLocalStore()
        : (options.storage ?? defaultLocalStore(`llc:${options.storageName ?? options.url}`));
    this.store = new ConversationStore({
      onChange: (conversationId) => {
        this.saveSoon(conversationId);
        this.emit('conversation', { conversationId });
      },
      onSettled: (clientMessageId) => void this.local.removeOutgoing(clientMessageId).catch(warnStorage),
      onTokens: (conversationId, message, text, reasoning) =>
        this.emit('tokens', { conversationId, message, text, reasoning }),
      sendFrame: (frame) => void this.session.send(frame),
      onStreamEnd: (conversationId, message, metrics) => {
        this.streamsCompleted++;
        this.lastStream = metrics;
        this.emit('stream-end', { conversationId, message, metrics });
      },
    });
    const { random: _random, ...backoff } = options.backoff ?? {};
    this.session = createLink(
      {
        connection: options.connection ?? 'auto',
        config: {
          key: options.storageName ?? options.url,
          url: options.url,
          ...(options.clientName ? { clientName: options.clientName } : {}),
          ...(options.backoff ? { backoff: backoff as Omit<BackoffOptions, 'random'> } : {}),
          ...(options.transportKind ? { transport: options.transportKind } : {}),
        },
        getToken: options.getToken,
        ...(options.transport ? { transport: options.transport } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.sharedWorkerUrl !== undefined ? { sharedWorkerUrl: options.sharedWorkerUrl } : {}),
      },
      {
        onStatus: (status, detail) => this.onStatus(status, detail),
        onWelcome: (welcome) => void (this.welcome = welcome),
        onFrame: (frame) => this.onFrame(frame),
        resyncFrames: () => this.store.resyncFrames(),
        onMode: (mode) => this.emit('mode', { mode }),
      },
    );
    this.restored = this.restoreOutbox();
    if (options.autoConnect ?? true) this.connect();
  }

  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** The authenticated user, once connected. */
  get userId(): string | undefined {
    return this.welcome?.userId;
  }

  /** The relay session of the connection (shared by every tab in the shared modes), once connected. */
  get sessionId(): string | undefined {
    return this.welcome?.sessionId;
  }

  /** Longest message the relay accepts. */
  get maxTextChars(): number {
    return this.welcome?.maxTextChars ?? 32_000;
  }

  get stats(): ClientStats {
    return {
      status: this.status,
      reconnects: this.reconnects,
      mode: this.session.mode,
      transport: this.transport,
      lastStream: this.lastStream,
      streamsCompleted: this.streamsCompleted,
    };
  }

  connect(): void {
    this.session.start();
  }

  close(): void {
    this.session.stop();
    for (const [conversationId, timer] of this.saveTimers) {
      clearTimeout(timer);
      this.save(conversationId);
    }
    this.saveTimers.clear();
  }

  /** Shows a conversation: loads its history and follows it live (again after every reconnect). */
  open(conversationId: string): ConversationSnapshot {
    const known = this.store.watched().includes(conversationId);
    this.store.watch(conversationId);
    if (!known) {
      // First paint from the device cache; the relay's history (requested at once) confirms or replaces it.
      this.local
        .loadConversation(conversationId)
        .then((cached) => cached && this.store.seed(conversationId, cached), warnStorage);
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
   * id once, so a resend never produces a second answer. It is stored in the outbox (IndexedDB) before it is
   * sent, so a reload or a browser restart before the acknowledgement sends it again.
   */
  send(conversationId: string, text: string, options: SendOptions = {}): ClientMessage {
    this.store.watch(conversationId);
    const frame: SendFrame = { type: 'send', clientMessageId: newId('cm_'), conversationId, text, ...options };
    const message = this.store.addOutgoing(frame);
    this.local.putOutgoing(frame).then(
      () => this.session.send(frame),
      (error: unknown) => {
        warnStorage(error);
        this.session.send(frame);
      },
    );
    return message;
  }

  /**
   * Regenerates an answer: the user message it replies to is sent again in its place, which rewrites the
   * conversation from there (the old answer and everything after it are replaced).
   */
  regenerate(conversationId: string, answerKey: string): ClientMessage {
    const answer = this.store.message(conversationId, answerKey);
    if (!answer || answer.role !== 'assistant')
      throw new LlcClientError(`no answer ${answerKey} in conversation ${conversationId}`);
    const question = this.store
      .snapshot(conversationId)
      .messages.find((m) => m.id !== undefined && m.id === answer.replyTo);
    if (!question) throw new LlcClientError(`the message answered by ${answerKey} is not known yet`);
    if (answer.streamId && (answer.status === 'streaming' || answer.status === 'queued'))
      this.stop(conversationId, answer.streamId);
    return this.send(conversationId, question.text, { replaceFrom: question.id! });
  }

  /** Edit-and-resend: replaces a sent user message (and everything after it) with new text. */
  editAndResend(
    conversationId: string,
    messageKey: string,
    text: string,
    options: Omit<SendOptions, 'replaceFrom'> = {},
  ): ClientMessage {
    const message = this.store.message(conversationId, messageKey);
    if (!message || message.role !== 'user')
      throw new LlcClientError(`no user message ${messageKey} in conversation ${conversationId}`);
    if (message.id === undefined)
      throw new LlcClientError('the message has not been acknowledged yet; edit it once it is sent');
    for (const m of this.store.snapshot(conversationId).messages) {
      if (m.streamId && (m.status === 'streaming' || m.status === 'queued')) this.stop(conversationId, m.streamId);
    }
    return this.send(conversationId, text, { ...options, replaceFrom: message.id });
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
    this.transport = status === 'open' ? detail.transport : undefined;
    this.emit('status', { status, ...detail });
  }

  private onFrame(frame: ServerFrame): void {
    // A shared connection carries every tab's conversations: keep those this tab shows.
    if ('conversationId' in frame && !this.store.watches(frame.conversationId)) return;
    this.store.apply(frame);
    if (frame.type === 'error' || frame.type === 'go-away' || frame.type === 'auth-expiring')
      this.emit('notice', { frame });
  }

  private async restoreOutbox(): Promise<void> {
    let frames: SendFrame[];
    try {
      frames = await this.local.outgoing();
    } catch (error) {
      return warnStorage(error);
    }
    for (const frame of frames) {
      if (this.store.message(frame.conversationId, frame.clientMessageId)) continue;
      this.store.addOutgoing(frame);
      this.session.send(frame);
    }
  }

  private saveSoon(conversationId: string): void {
    if (this.saveTimers.has(conversationId)) return;
    this.saveTimers.set(
      conversationId,
      setTimeout(() => {
        this.saveTimers.delete(conversationId);
        this.save(conversationId);
      }, 250),
    );
  }

  private save(conversationId: string): void {
    const messages = this.store.cacheable(conversationId);
    if (messages.length) void this.local.saveConversation(conversationId, messages).catch(warnStorage);
  }

  private emit(type: string, detail: object): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function warnStorage(error: unknown): void {
  console.warn('[llc-client] local storage failed; continuing without it', error);
}
