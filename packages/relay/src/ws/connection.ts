/**
 * One client connection: its identity, its outbound queue, the conversations it holds and, per stream, the
 * last seq it was sent — so that each token batch reaches each socket once and in order, whether it comes live
 * from the broker or from a resume.
 */
import type { ConversationEvent } from '@locallightchat/broker';
import {
  classifyBatch,
  CloseCode,
  encodeFrame,
  newId,
  type ErrorCode,
  type ServerFrame,
} from '@locallightchat/protocol';
import type { Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import type { HubMember } from '../conversations/conversation-hub.js';
import { saveSession } from './session-memory.js';
import type { StreamEvent } from '../conversations/stream-record.js';
import { SendQueue, type SendQueueEvents, type SocketSink } from './send-queue.js';

/** What a connection needs from its socket. */
export interface SocketHandle extends SocketSink {
  /** Closes with a code; must not be called twice or after the socket closed. */
  end(code: number, reason: string): void;
}

type StreamAttachment = { sentSeq: number; replayBuffer?: [ConversationEvent, Uint8Array][] };

const SETTLED: Promise<unknown> = Promise.resolve();
/** `maxBadFramesPerMinute` counts the bad frames of this sliding window. */
const BAD_FRAME_WINDOW_MS = 60_000;

/**
 * Memory per idle connection is the relay's scaling budget (~20k sockets per process), so everything a socket
 * may never need — sets, maps, timers, the bad-frame log — is created on first use, the send queue's callbacks
 * are this object's methods rather than closures, and deadlines (hello, token expiry) are plain numbers that
 * one relay-wide sweep checks (see {@link Connection.checkDeadlines}) instead of timers per socket.
 */
export class Connection implements HubMember, SendQueueEvents {
  readonly sessionId = newId('sess_');
  principal?: Principal;
  /** Deadlines in ms since the epoch, checked by the relay's sweep. */
  helloDeadline?: number;
  authWarnAt?: number;
  authExpiresAt?: number;
  private conversationSet?: Set<string>;
  /** Streams this socket follows, with the last seq written to it. */
  private streamMap?: Map<string, StreamAttachment>;
  private readonly queue: SendQueue;
  private closed = false;
  private timers?: Set<ReturnType<typeof setTimeout>>;
  // Per-connection frame-rate bucket.
  private tokens: number;
  private refilledAt = performance.now();
  private badFrames?: number[];
  private work: Promise<unknown> = SETTLED;

  constructor(
    private readonly socket: SocketHandle,
    readonly ctx: RelayContext,
    /** Credentials verified at upgrade time, if the client sent them there. */
    readonly upgradePrincipal?: Principal,
  ) {
    const { config } = ctx;
    this.tokens = config.frameRateBurst;
    this.queue = new SendQueue(socket, ctx.sendQueueOptions, this);
  }

  /** Conversations joined on the hub. */
  get conversations(): Set<string> {
    return (this.conversationSet ??= new Set());
  }

  private get streams(): Map<string, StreamAttachment> {
    return (this.streamMap ??= new Map());
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

  onOverflow(): void {
    this.ctx.metrics.slowConsumerCloses.inc();
    // Closing from inside a send loop is not allowed by uWS: defer to the next turn.
    setImmediate(() => this.close(CloseCode.SlowConsumer, 'slow consumer: reconnect and resume'));
  }

  /** Called about every quarter second by the relay: enforces the hello timeout and token expiry. */
  checkDeadlines(now: number): void {
    if (this.closed) return;
    if (this.helloDeadline !== undefined && now >= this.helloDeadline) {
      this.helloDeadline = undefined;
      if (!this.principal) {
        this.error('unauthorized', 'no hello within the handshake timeout');
        this.flushNow();
        return this.close(CloseCode.Unauthorized, 'handshake timeout');
      }
    }
    if (this.authWarnAt !== undefined && now >= this.authWarnAt && this.authExpiresAt !== undefined) {
      this.authWarnAt = undefined;
      this.send({ type: 'auth-expiring', expiresAt: this.authExpiresAt });
    }
    if (this.authExpiresAt !== undefined && now >= this.authExpiresAt) {
      this.authExpiresAt = undefined;
      this.error('token-expired', 'the token expired and was not refreshed');
      this.flushNow();
      this.close(CloseCode.Unauthorized, 'token expired');
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get userId(): string | undefined {
    return this.principal?.userId;
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

  // ───────────── stream delivery ─────────────

  /** Follows a stream from `afterSeq` (0 = from its start). */
  attach(streamId: string, afterSeq: number): void {
    const current = this.streams.get(streamId);
    if (current) current.sentSeq = Math.min(current.sentSeq, afterSeq);
    else this.streams.set(streamId, { sentSeq: afterSeq });
  }

  /**
   * Runs a replay for one stream: live events for that stream are held while `load` runs and applied after
   * its events, through the same seq rule, so the socket sees one ordered, duplicate-free sequence.
   */
  async replay(streamId: string, fromSeq: number, load: () => Promise<StreamEvent[]>): Promise<number> {
    this.attach(streamId, Math.max(0, fromSeq - 1));
    const attachment = this.streams.get(streamId)!;
    attachment.sentSeq = Math.max(0, fromSeq - 1);
    attachment.replayBuffer = [];
    let events: StreamEvent[] = [];
    try {
      events = await load();
    } finally {
      const held = attachment.replayBuffer ?? [];
      attachment.replayBuffer = undefined;
      for (const e of events) this.forward(e, encodeFrame(e), undefined);
      for (const [e, bytes] of held) this.forward(e, bytes, undefined);
    }
    return events.length;
  }

  /** HubMember: a conversation event for this socket. */
  deliver(event: ConversationEvent, bytes: Uint8Array, receivedAt: number | undefined): void {
    if (this.closed) return;
    if (event.type !== 'message') {
      const attachment = this.streams.get(event.streamId);
      if (attachment?.replayBuffer) {
        attachment.replayBuffer.push([event, bytes.slice()]);
        return;
      }
    }
    this.forward(event, bytes, receivedAt);
  }

  /** The seq rule: each batch once, in order; streams the socket does not follow are not sent. */
  private forward(event: ConversationEvent, bytes: Uint8Array, receivedAt: number | undefined): void {
    if (this.closed) return;
    switch (event.type) {
      case 'message':
        break;
      case 'stream-start':
      case 'queued': {
        // A new stream in a conversation this socket holds: follow it from the start.
        const a = this.streams.get(event.streamId);
        if (!a) this.streams.set(event.streamId, { sentSeq: 0 });
        else if (a.sentSeq > 0) return; // already past the start (a replay sent it)
        break;
      }
      case 'token': {
        const a = this.streams.get(event.streamId);
        if (!a || classifyBatch(a.sentSeq, event) === 'old') return;
        // A gap (this node missed batches) is forwarded too: the client sees it and resumes from its seq.
        a.sentSeq = event.seq;
        break;
      }
      case 'stream-end': {
        const a = this.streams.get(event.streamId);
        if (!a) return;
        this.streams.delete(event.streamId);
        break;
      }
    }
    this.queue.event(event, bytes, receivedAt);
  }

  // ───────────── lifecycle ─────────────

  /** A timer tied to this connection (cleared on close). */
  setTimer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timers?.delete(timer);
      if (!this.closed) fn();
    }, ms);
    (this.timers ??= new Set()).add(timer);
    return timer;
  }

  clearTimer(timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers?.delete(timer);
  }

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

  /** The socket is gone (either side closed it): release everything. */
  onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    for (const t of this.timers ?? []) clearTimeout(t);
    this.timers = undefined;
    const conversations = this.conversationSet;
    if (conversations?.size) {
      // The TTL of the session counts from now: a reconnect within it restores these conversations.
      void saveSession(this, [...conversations]);
      for (const conversationId of conversations) this.ctx.hub.leave(conversationId, this);
    }
    this.conversationSet = undefined;
    this.streamMap = undefined;
  }
}
