/**
 * One client connection: its identity, its outbound queue, the conversations it holds and, per stream, the
 * last seq it was sent — so that each token batch reaches each socket once and in order, whether it comes live
 * from the broker or from a resume.
 */
import type { ConversationEvent } from '@locallightchat/broker';
import { CloseCode, encodeFrame, newId, type ErrorCode, type ServerFrame } from '@locallightchat/protocol';
import type { Principal } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import type { HubMember } from '../conversations/conversation-hub.js';
import { saveSession } from './session-memory.js';
import type { StreamEvent } from '../conversations/stream-record.js';
import { SendQueue, type SocketSink } from './send-queue.js';

/** What a connection needs from its socket. */
export interface SocketHandle extends SocketSink {
  /** Closes with a code; must not be called twice or after the socket closed. */
  end(code: number, reason: string): void;
}

type StreamAttachment = { sentSeq: number; replayBuffer?: [ConversationEvent, Uint8Array][] };

export class Connection implements HubMember {
  readonly sessionId = newId('sess_');
  principal?: Principal;
  /** Conversations joined on the hub. */
  readonly conversations = new Set<string>();
  /** Streams this socket follows, with the last seq written to it. */
  private readonly streams = new Map<string, StreamAttachment>();
  private readonly queue: SendQueue;
  private closed = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  // Per-connection frame-rate bucket.
  private tokens: number;
  private refilledAt = performance.now();
  private badFrames: number[] = [];
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly socket: SocketHandle,
    readonly ctx: RelayContext,
    /** Credentials verified at upgrade time, if the client sent them there. */
    readonly upgradePrincipal?: Principal,
  ) {
    const { config, metrics } = ctx;
    this.tokens = config.frameRateBurst;
    this.queue = new SendQueue(
      socket,
      { highWaterBytes: config.sendHighWaterBytes, hardLimitBytes: config.sendHardLimitBytes, prioritizeFirstTokens: config.prioritizeFirstTokens },
      {
        onSent: (n, firstTokenMs) => {
          metrics.framesSent.inc(n);
          if (firstTokenMs !== undefined) metrics.firstToken.observe(firstTokenMs / 1000);
        },
        onBackpressure: () => metrics.backpressureEvents.inc(),
        onCoalesced: () => metrics.coalescedFrames.inc(),
        onOverflow: () => {
          metrics.slowConsumerCloses.inc();
          // Closing from inside a send loop is not allowed by uWS: defer to the next turn.
          setImmediate(() => this.close(CloseCode.SlowConsumer, 'slow consumer: reconnect and resume'));
        },
      },
    );
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
    this.badFrames = this.badFrames.filter((t) => now - t < 60_000);
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
        if (!a || event.seq <= a.sentSeq) return;
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
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  clearTimer(timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
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
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    // The TTL of the session counts from now: a reconnect within it restores these conversations.
    if (this.conversations.size) void saveSession(this, [...this.conversations]);
    for (const conversationId of this.conversations) this.ctx.hub.leave(conversationId, this);
    this.conversations.clear();
    this.streams.clear();
  }
}
