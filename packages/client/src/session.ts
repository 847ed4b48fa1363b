/**
 * A protocol session over a reconnecting transport. It owns the connection life cycle — handshake, heartbeat,
 * backoff, go-away, credential refresh — and nothing about conversations: after every (re)connect it asks its
 * owner for the frames that bring the server up to date (subscribes, resumes, unacknowledged sends).
 *
 * Framework-free and DOM-free (it uses only timers and globalThis events), so the same class runs in a page,
 * in a SharedWorker, or in the leader tab of a multi-tab group.
 */
import {
  CloseCode,
  FATAL_CLOSE_CODES,
  PROTOCOL_VERSION,
  decodeServerFrame,
  encodeFrame,
  type ClientFrame,
  type ServerFrame,
  type WelcomeFrame,
} from '@locallightchat/protocol';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { DEFAULT_CLIENT_NAME, withDefaults } from './options.js';
import type { Transport, TransportFactory, TransportKind } from './transports/transport.js';
import { webSocketTransport } from './transports/websocket.js';

export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

export interface StatusDetail {
  /** When `reconnecting`: the wait before the next attempt, ms. */
  retryInMs?: number;
  /** Attempts since the last healthy connection. */
  attempt?: number;
  /** Why the last connection ended or failed. */
  reason?: string;
  /** When `open`: the transport carrying the connection. */
  transport?: TransportKind;
}

/** Why a token is asked for: a token provider with a cache must bypass it for `refused` and `expiring`. */
export interface TokenRequest {
  reason: 'connect' | 'refused' | 'expiring';
}

/** Returns a token (a JWT) for the relay. */
export type TokenProvider = (request?: TokenRequest) => string | Promise<string>;

export interface SessionOptions {
  /** ws(s)://host/ws of a relay. */
  url: string;
  /** Returns a valid token (a JWT); called before every connection and when the server warns of expiry. */
  getToken: TokenProvider;
  /** Default: WebSocket. */
  transport?: TransportFactory;
  /** Default: {@link DEFAULT_BACKOFF}. */
  backoff?: BackoffOptions;
  /** A connection must stay up this long before the backoff resets, ms. Default 10,000. */
  healthyAfterMs?: number;
  /** Gives up a handshake after this long, ms. Default 10,000. */
  handshakeTimeoutMs?: number;
  /** Sent in `hello`, for server logs. Default `llc-client/0.1`. */
  clientName?: string;
}

/** The defaults of the optional {@link SessionOptions}. */
export const DEFAULT_SESSION: Required<Omit<SessionOptions, 'url' | 'getToken'>> = {
  transport: webSocketTransport,
  backoff: DEFAULT_BACKOFF,
  healthyAfterMs: 10_000,
  handshakeTimeoutMs: 10_000,
  clientName: DEFAULT_CLIENT_NAME,
};

/** Session options with every default filled in (an option left undefined takes its default). */
export function resolveSessionOptions(options: SessionOptions): Required<SessionOptions> {
  return withDefaults(DEFAULT_SESSION, options);
}

/** The session's timers, one of each at most. */
type TimerName = 'retry' | 'heartbeat' | 'handshake' | 'healthy' | 'goaway';

export interface SessionHooks {
  onStatus(status: ConnectionStatus, detail: StatusDetail): void;
  onWelcome(welcome: WelcomeFrame): void;
  /** Every frame except handshake and heartbeat frames. */
  onFrame(frame: ServerFrame): void;
  /** Frames to send after each welcome, in order. */
  resyncFrames(): ClientFrame[];
}

export class Session {
  #transport?: Transport;
  #status: ConnectionStatus = 'idle';
  readonly #options: Required<SessionOptions>;
  readonly #backoff: Backoff;
  readonly #timers = new Map<TimerName, ReturnType<typeof setTimeout>>();
  /** Announced by the relay in `welcome`. */
  #heartbeatMs = 0;
  #lastReceivedAt = 0;
  #welcome?: WelcomeFrame;
  #stopped = true;
  #generation = 0;
  /** The relay refused the last token: the next one must be fresh, not cached. */
  #refused = false;
  readonly #onlineListener = () => this.#onOnline();
  readonly #offlineListener = () => this.#onOffline();
  readonly #hooks: SessionHooks;

  constructor(options: SessionOptions, hooks: SessionHooks) {
    this.#hooks = hooks;
    this.#options = resolveSessionOptions(options);
    this.#backoff = new Backoff(this.#options.backoff);
  }

  get connectionStatus(): ConnectionStatus {
    return this.#status;
  }

  /** The last welcome (user id, limits), while open. */
  get serverInfo(): WelcomeFrame | undefined {
    return this.#status === 'open' ? this.#welcome : undefined;
  }

  get reconnectAttempts(): number {
    return this.#backoff.attempts;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    globalThis.addEventListener?.('online', this.#onlineListener);
    globalThis.addEventListener?.('offline', this.#offlineListener);
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    globalThis.removeEventListener?.('online', this.#onlineListener);
    globalThis.removeEventListener?.('offline', this.#offlineListener);
    this.#clearTimers();
    this.#generation++;
    this.#transport?.close(CloseCode.Normal, 'client closed');
    this.#transport = undefined;
    this.#setStatus('closed', {});
  }

  /** Sends a frame if the session is open; returns false otherwise (the caller keeps it for the resync). */
  send(frame: ClientFrame): boolean {
    if (this.#status !== 'open' || !this.#transport) return false;
    this.#transport.send(encodeFrame(frame));
    return true;
  }

  /** Drops the current connection and reconnects at once (tests, "retry now" buttons). */
  reconnectNow(): void {
    if (this.#stopped) return;
    this.#backoff.reset();
    this.#dropConnection('reconnect requested');
    void this.#connect();
  }

  // ───────────── connection life cycle ─────────────

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    if (globalThis.navigator?.onLine === false) return this.#setStatus('offline', {});
    const generation = ++this.#generation;
    this.#clearTimers();
    this.#setStatus(this.#backoff.attempts === 0 && !this.#welcome ? 'connecting' : 'reconnecting', {
      attempt: this.#backoff.attempts,
    });
    let token: string;
    try {
      token = await this.#options.getToken({ reason: this.#refused ? 'refused' : 'connect' });
    } catch (error) {
      return this.#retryLater(`could not get a token: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (generation !== this.#generation || this.#stopped) return;
    this.#transport = this.#options.transport(this.#options.url, {
      onOpen: () => {
        if (generation !== this.#generation) return;
        this.#transport?.send(
          encodeFrame({
            type: 'hello',
            v: PROTOCOL_VERSION,
            token,
            client: this.#options.clientName,
          }),
        );
      },
      onFrame: (data) => {
        if (generation === this.#generation) this.#onData(data);
      },
      onClose: (code, reason) => {
        if (generation === this.#generation) this.#onClosed(code, reason);
      },
    });
    this.#setTimer(
      'handshake',
      () => this.#dropConnection('handshake timed out', true),
      this.#options.handshakeTimeoutMs,
    );
  }

  #onData(data: Uint8Array): void {
    this.#lastReceivedAt = Date.now();
    const result = decodeServerFrame(data);
    if (!result.ok) {
      // A relay never sends invalid frames; if one does, skip it rather than kill the session.
      console.warn('[llc-client] ignored an invalid frame:', result.error.message);
      return;
    }
    const frame = result.frame;
    switch (frame.type) {
      case 'welcome':
        return this.#onWelcome(frame);
      case 'ping':
        this.send({ type: 'pong', ts: frame.ts });
        return;
      case 'pong':
        return;
      case 'go-away':
        // The node is draining: leave after the hinted (jittered) delay and reconnect — probably elsewhere.
        this.#setTimer('goaway', () => this.reconnectNow(), frame.reconnectAfterMs);
        this.#hooks.onFrame(frame);
        return;
      case 'auth-expiring':
        void this.#refreshToken();
        this.#hooks.onFrame(frame);
        return;
      default:
        this.#hooks.onFrame(frame);
    }
  }

  #onWelcome(welcome: WelcomeFrame): void {
    this.#clearTimer('handshake');
    this.#refused = false;
    this.#welcome = welcome;
    this.#heartbeatMs = welcome.heartbeatMs;
    this.#setStatus('open', this.#transport?.kind ? { transport: this.#transport.kind } : {});
    this.#hooks.onWelcome(welcome);
    for (const frame of this.#hooks.resyncFrames()) this.send(frame);
    this.#scheduleHeartbeat();
    this.#setTimer('healthy', () => this.#backoff.reset(), this.#options.healthyAfterMs);
  }

  #scheduleHeartbeat(): void {
    this.#setTimer(
      'heartbeat',
      () => {
        // Dead link: nothing (not even a pong) for two intervals. Browsers can keep a zombie socket for minutes.
        if (Date.now() - this.#lastReceivedAt > this.#heartbeatMs * 2)
          return this.#dropConnection('heartbeat timeout', true);
        this.send({ type: 'ping', ts: Date.now() });
        this.#scheduleHeartbeat();
      },
      this.#heartbeatMs,
    );
  }

  #onClosed(code: number, reason: string): void {
    this.#transport = undefined;
    this.#clearTimers();
    if (this.#stopped) return;
    if (code === CloseCode.UnsupportedVersion) {
      this.#stopped = true;
      return this.#setStatus('closed', { reason: reason || 'unsupported protocol version' });
    }
    // 4001 (credentials) is fatal for *this* token: the next attempt asks the provider for a fresh one.
    if (FATAL_CLOSE_CODES.has(code)) this.#refused = true;
    const why = FATAL_CLOSE_CODES.has(code) ? `credentials refused (${reason})` : reason || `closed (${code})`;
    this.#retryLater(why);
  }

  #retryLater(reason: string): void {
    if (this.#stopped) return;
    if (globalThis.navigator?.onLine === false) return this.#setStatus('offline', { reason });
    const delay = this.#backoff.next();
    this.#setStatus('reconnecting', { retryInMs: delay, attempt: this.#backoff.attempts, reason });
    this.#setTimer('retry', () => void this.#connect(), delay);
  }

  /** Closes the current transport; with `retry`, schedules the next attempt. */
  #dropConnection(reason: string, retry = false): void {
    const transport = this.#transport;
    this.#transport = undefined;
    this.#generation++;
    this.#clearTimers();
    transport?.close(CloseCode.Normal, reason);
    if (retry) this.#retryLater(reason);
  }

  async #refreshToken(): Promise<void> {
    try {
      const token = await this.#options.getToken({ reason: 'expiring' });
      this.send({ type: 'auth', token });
    } catch (error) {
      console.warn('[llc-client] token refresh failed; the next connection will ask again', error);
    }
  }

  #onOnline(): void {
    if (this.#stopped || this.#status === 'open') return;
    this.#backoff.reset();
    void this.#connect();
  }

  #onOffline(): void {
    if (this.#stopped) return;
    this.#dropConnection('browser offline');
    this.#setStatus('offline', {});
  }

  #setStatus(status: ConnectionStatus, detail: StatusDetail): void {
    if (this.#status === status && status !== 'reconnecting') return;
    this.#status = status;
    this.#hooks.onStatus(status, detail);
  }

  #setTimer(name: TimerName, fn: () => void, ms: number): void {
    this.#clearTimer(name);
    this.#timers.set(
      name,
      setTimeout(() => {
        this.#timers.delete(name);
        fn();
      }, ms),
    );
  }

  #clearTimer(name: TimerName): void {
    const t = this.#timers.get(name);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(name);
  }

  #clearTimers(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
