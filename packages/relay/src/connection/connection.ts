/**
 * One client connection, whatever its transport: its identity and the deadlines that come with it (the hello
 * timeout, the token's expiry), its outbound queue, the conversations it holds and the streams it follows
 * (stream-cursors.ts: each token batch reaches the socket once and in order, live or from a resume).
 *
 * Transports open connections through the registry's one accept path (connection-registry.ts), tell them when
 * their socket drained or closed, and hand client frames to the dispatcher (dispatcher.ts), whose handlers act
 * on the connection through its methods; everything else about a connection's life happens here.
 */
import type { ConversationEvent } from '@locallightchat/broker';
import { CloseCode, HARD_LIMITS, newId, type ErrorCode, type ServerFrame } from '@locallightchat/protocol';
import type { Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import type { HubMember } from '../conversations/open-conversation.js';
import type { StreamEvent } from '../conversations/stream-record.js';
import type { SessionRecord } from '../store/store.js';
import { ReplayPacer, replayFrameChars } from './paced-replay.js';
import { SendQueue, type SendQueueEvents, type SocketSink } from './send-queue.js';
import { StreamCursors } from './stream-cursors.js';

/** What a connection needs from its socket. */
export interface SocketHandle extends SocketSink {
  /** Closes with a code; must not be called twice or after the socket closed. */
  end(code: number, reason: string): void;
}

/** Where connections come from and go back to (the relay's registry). */
export interface ConnectionOwner {
  /** The connection closed: forget it. */
  released(conn: Connection): void;
}

const SETTLED: Promise<unknown> = Promise.resolve();
/** `maxBadFramesPerMinute` counts the bad frames of this sliding window. */
const BAD_FRAME_WINDOW_MS = 60_000;

/**
 * Memory per idle connection is the relay's scaling budget (~20k sockets per process), so everything a socket
 * may never need — sets, maps, the bad-frame log — is created on first use, the send queue's callbacks
 * are this object's methods rather than closures, and deadlines (hello, token expiry) are plain numbers that
 * one relay-wide sweep checks (see {@link Connection.checkDeadlines}) instead of timers per socket.
 */
export class Connection implements HubMember, SendQueueEvents {
  readonly sessionId = newId('sess_');
  private currentPrincipal?: Principal;
  /** Deadlines in ms since the epoch, checked by the relay's sweep (see {@link Connection.checkDeadlines}). */
  private helloDeadline?: number;
  private authWarnAt?: number;
  private authExpiresAt?: number;
  /** Conversations joined on the hub. */
  private conversationSet?: Set<string>;
  /** Streams this socket follows, with the last seq written to it. */
  private cursors?: StreamCursors;
  /** Resumes still being written at the socket's pace (paced-replay.ts); created by the first resume. */
  private pacer?: ReplayPacer;
  private readonly queue: SendQueue;
  private closed = false;
  // Per-connection frame-rate bucket.
  private tokens: number;
  private refilledAt = performance.now();
  private badFrames?: number[];
  private work: Promise<unknown> = SETTLED;
  /** The user whose connection slot this connection holds (see {@link Connection.admitUser}). */
  private admittedUser?: string;

  constructor(
    private readonly socket: SocketHandle,
    private readonly ctx: RelayContext,
    private readonly owner: ConnectionOwner,
    /** The client's address; this connection holds one of its slots in the relay's limits until it closes. */
    readonly address: string,
    /** Credentials verified at upgrade time, if the client sent them there. */
    readonly upgradePrincipal?: Principal,
  ) {
    const { config } = ctx;
    this.tokens = config.frameRateBurst;
    this.queue = new SendQueue(socket, ctx.sendQueueOptions, this);
    // The handshake starts now: `hello` must come within the timeout, whatever the transport.
    this.helloDeadline = Date.now() + config.helloTimeoutMs;
  }

  private get conversations(): Set<string> {
    return (this.conversationSet ??= new Set());
  }

  private get streams(): StreamCursors {
    return (this.cursors ??= new StreamCursors());
  }

  // ───────────── SendQueueEvents ─────────────

  onSent(count: number, firstTokenLatencyMs?: number): void {
    this.ctx.metrics.framesSent.inc(count);
    if (firstTokenLatencyMs !== undefined) this.ctx.metrics.firstToken.observe(firstTokenLatencyMs / 1000);
  }

  onBackpressure(): void {
    this.ctx.metrics.backpressureEvents.inc();
  }

  onCoalesced(): void {
    this.ctx.metrics.coalescedFrames.inc();
  }

  onWritable(): void {
    if (this.pacer && !this.closed) {
      this.pacer.pump();
      if (this.pacer.idle) this.pacer = undefined;
    }
  }

  onOverflow(): void {
    this.ctx.metrics.slowConsumerCloses.inc();
    // Closing from inside a send loop is not allowed by uWS: defer to the next turn.
    setImmediate(() => this.close(CloseCode.SlowConsumer, 'slow consumer: reconnect and resume'));
  }

  // ───────────── identity and its deadlines ─────────────

  /** Who this connection belongs to, once `hello` was accepted. */
  get principal(): Principal | undefined {
    return this.currentPrincipal;
  }

  get userId(): string | undefined {
    return this.currentPrincipal?.userId;
  }

  /**
   * Sets who this connection belongs to (at `hello`, and at each `auth` refresh) and the deadlines that come
   * with the token: `auth-expiring` a lead time before it expires (at most half its remaining life), and the
   * close when it expires unrefreshed. The hello deadline is met.
   */
  authenticate(principal: Principal): void {
    this.currentPrincipal = principal;
    this.helloDeadline = undefined;
    const expiresAt = principal.expiresAt;
    this.authExpiresAt = expiresAt;
    this.authWarnAt = undefined;
    if (expiresAt === undefined) return;
    const lead = Math.min(this.ctx.config.authRefreshLeadMs, (expiresAt - Date.now()) / 2);
    this.authWarnAt = expiresAt - Math.max(0, lead);
  }

  /**
   * Takes one of the user's connection slots (at `hello`); false (and nothing held) when the user is past the
   * per-user connection limits, with when to retry.
   */
  async admitUser(userId: string): Promise<{ retryAfterMs?: number } | undefined> {
    if (this.admittedUser !== undefined) return undefined;
    const refused = await this.ctx.limits.admitUser(userId);
    if (refused) return refused;
    if (this.closed) this.ctx.limits.releaseUser(userId);
    else this.admittedUser = userId;
    return undefined;
  }

  /** How many conversations this connection has joined. */
  get joinedCount(): number {
    return this.conversationSet?.size ?? 0;
  }

  /** Whether it has joined `conversationId`. */
  hasJoined(conversationId: string): boolean {
    return this.conversationSet?.has(conversationId) ?? false;
  }

  /** Called about every quarter second by the relay: enforces the hello timeout and token expiry. */
  checkDeadlines(now: number): void {
    if (this.closed) return;
    if (this.helloDeadline !== undefined && now >= this.helloDeadline) {
      this.helloDeadline = undefined;
      if (!this.principal) {
        return this.fail(
          'unauthorized',
          'no hello within the handshake timeout',
          CloseCode.Unauthorized,
          'handshake timeout',
        );
      }
    }
    if (this.authWarnAt !== undefined && now >= this.authWarnAt && this.authExpiresAt !== undefined) {
      this.authWarnAt = undefined;
      this.send({ type: 'auth-expiring', expiresAt: this.authExpiresAt });
    }
    if (this.authExpiresAt !== undefined && now >= this.authExpiresAt) {
      this.authExpiresAt = undefined;
      this.fail('token-expired', 'the token expired and was not refreshed', CloseCode.Unauthorized, 'token expired');
    }
  }

  // ───────────── replies ─────────────

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a reply or notice. */
  send(frame: ServerFrame): void {
    if (!this.closed) this.queue.control(frame);
  }

  /** Sends an error frame and counts it. */
  error(code: ErrorCode, message: string, ref?: string, retryAfterMs?: number): void {
    this.ctx.metrics.errors.inc({ code });
    const frame: ServerFrame = { type: 'error', code, message };
    if (ref !== undefined) frame.ref = ref;
    if (retryAfterMs !== undefined) frame.retryAfterMs = retryAfterMs;
    this.send(frame);
  }

  /** Refuses the client for good: an error frame it will see (queued frames are written first), then the close. */
  fail(code: ErrorCode, message: string, closeCode: number, reason: string): void {
    this.error(code, message);
    this.flushNow();
    this.close(closeCode, reason);
  }

  // ───────────── incoming frames ─────────────

  /** Runs `task` after every task queued before it on this connection; returns its outcome. */
  serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.work.then(task, task);
    this.work = run.catch(() => undefined);
    return run;
  }

  /** Token bucket: false when the client sends faster than allowed (the frame is refused with an error). */
  takeFrameToken(): boolean {
    const now = performance.now();
    const { frameRatePerSecond, frameRateBurst } = this.ctx.config;
    this.tokens = Math.min(frameRateBurst, this.tokens + ((now - this.refilledAt) / 1000) * frameRatePerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Counts a bad frame; true when the connection passed the tolerated rate and must be closed. */
  countBadFrame(): boolean {
    const now = Date.now();
    this.badFrames = (this.badFrames ?? []).filter((t) => now - t < BAD_FRAME_WINDOW_MS);
    this.badFrames.push(now);
    return this.badFrames.length > this.ctx.config.maxBadFramesPerMinute;
  }

  // ───────────── conversations ─────────────

  /**
   * Joins a conversation on the hub (once; resolves when the hub loaded its retained events) and remembers it
   * in the session, so a reconnect restores it.
   */
  async join(conversationId: string): Promise<void> {
    if (this.conversations.has(conversationId)) return;
    this.conversations.add(conversationId);
    this.rememberSession();
    await this.ctx.hub.join(conversationId, this);
  }

  /** Leaves a conversation (its streams stop reaching this socket once the hub lets it go). */
  leave(conversationId: string): void {
    if (!this.conversationSet?.delete(conversationId)) return;
    this.rememberSession();
    this.ctx.hub.leave(conversationId, this);
  }

  /** HubMember: the conversation was deleted; it is no longer followed, nor restored with the session. */
  released(conversationId: string): void {
    if (!this.conversationSet?.delete(conversationId)) return;
    this.rememberSession();
  }

  /** HubMember: the deletion is complete (uploads too): the socket is told, as every follower is. */
  conversationDeleted(conversationId: string): void {
    this.send({ type: 'conversation-deleted', conversationId });
  }

  private rememberSession(): void {
    const record = this.sessionRecord();
    if (record) this.ctx.sessions.saveSoon(record);
  }

  private sessionRecord(): SessionRecord | undefined {
    const userId = this.userId;
    return userId ? { sessionId: this.sessionId, userId, conversations: [...this.conversations] } : undefined;
  }

  // ───────────── stream delivery ─────────────

  /** Follows a stream from `afterSeq` (0 = from its start). */
  attach(streamId: string, afterSeq: number): void {
    this.streams.follow(streamId, afterSeq);
  }

  /**
   * Runs a replay for one stream: live events for that stream are held while `load` runs and applied after
   * its events, through the same seq rule, so the socket sees one ordered, duplicate-free sequence.
   */
  async replay(streamId: string, fromSeq: number, load: () => Promise<StreamEvent[]>): Promise<number> {
    this.pacer?.cancel(streamId);
    const endReplay = this.streams.startReplay(streamId, fromSeq);
    let events: StreamEvent[] = [];
    try {
      events = await load();
    } finally {
      // The missed batches compacted (compact.ts), written as the socket takes them, then the held live events.
      if (!this.closed) {
        const pacer = (this.pacer ??= this.newPacer());
        pacer.add(streamId, events, endReplay);
        if (pacer.idle && this.pacer === pacer) this.pacer = undefined;
      }
    }
    return events.length;
  }

  private newPacer(): ReplayPacer {
    const { highWaterBytes, hardLimitBytes } = this.ctx.sendQueueOptions;
    return new ReplayPacer(
      { hasRoom: () => this.queue.hasRoom(), forward: (event, bytes) => this.forward(event, bytes, undefined) },
      replayFrameChars(highWaterBytes, hardLimitBytes, HARD_LIMITS.batchChars),
    );
  }

  /** HubMember: a conversation event for this socket. */
  deliver(event: ConversationEvent, bytes: Uint8Array, receivedAt: number | undefined): void {
    if (this.closed || this.streams.holdDuringReplay(event, bytes)) return;
    this.forward(event, bytes, receivedAt);
  }

  /** Each batch once, in order (see stream-cursors.ts); streams the socket does not follow are not sent. */
  private forward(event: ConversationEvent, bytes: Uint8Array, receivedAt: number | undefined): void {
    if (this.closed || !this.streams.admit(event)) return;
    this.queue.event(event, bytes, receivedAt);
  }

  // ───────────── lifecycle ─────────────

  /** The socket can take more: the transport calls this when its buffer drained. */
  drained(): void {
    this.queue.drained();
  }

  /** Writes what is queued now (used before a drain closes the socket). */
  flushNow(): void {
    if (!this.closed) this.queue.flush();
  }

  get pendingFrames(): number {
    return this.queue.pendingFrames;
  }

  /** Closes the socket (server side). Safe to call more than once. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.socket.end(code, reason);
    // uWS calls the close handler synchronously from end(), which calls onClosed().
    this.onClosed();
  }

  /** The socket is gone (either side closed it; the transport calls this): release everything. */
  onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    this.pacer = undefined;
    const conversations = this.conversationSet;
    const record = conversations?.size ? this.sessionRecord() : undefined;
    if (record) {
      // The TTL of the session counts from now: a reconnect within it restores these conversations.
      void this.ctx.sessions.save(record);
    } else {
      this.ctx.sessions.cancel(this.sessionId);
    }
    for (const conversationId of conversations ?? []) this.ctx.hub.leave(conversationId, this);
    this.conversationSet = undefined;
    this.cursors = undefined;
    this.ctx.limits.releaseAddress(this.address);
    if (this.admittedUser !== undefined) this.ctx.limits.releaseUser(this.admittedUser);
    this.owner.released(this);
  }
}
