/**
 * One relay node's view of the conversations its sockets have open.
 *
 * - One broker subscription per open conversation per node, however many sockets (tabs) hold it: the broker
 *   fans out to nodes, the hub fans out to local sockets.
 * - A {@link StreamRecord} per stream (a bounded ring), seeded from the broker's retained events when the
 *   conversation opens on this node, so resumes are served locally — also on a node the client was not on.
 * - When a stream ends and this node holds all of it, the answer is persisted (idempotently: every node that
 *   holds the conversation writes the same message id, the store inserts it once).
 * - A conversation whose last member left stays subscribed for `lingerMs`, and past that for as long as one of its
 *   streams runs: the answer is stored when it ends, whether or not a tab is still there (else an answer ending
 *   after its tab left and the linger was stored by nobody until the conversation was opened again).
 */
import { randomUUID } from 'node:crypto';
import type { Broker, ConversationEvent, Subscription } from '@locallightchat/broker';
import type { Tracer } from '@opentelemetry/api';
import { encodeFrame, firstSeqOf, type StreamState } from '@locallightchat/protocol';
import { ReservationLedger } from '../limits/reservation-ledger.js';
import type { RelayMetrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { AnswerWriter } from './answer-writer.js';
import { EndedAnswers } from './ended-answers.js';
import { followSilenceMs, resolveHubOptions, settleMemoryOptions, type HubOptions } from './hub-options.js';
import { OpenConversation, type HubMember } from './open-conversation.js';
import { StreamRecord, type StreamEvent } from './stream-record.js';
import { AnswerSpans } from '../tracing/answer-spans.js';

/** What the user reads when a stream stalled (the words the bridge uses for an answer cut after its first token). */
export const STALLED_STREAM_MESSAGE = 'The answer was interrupted before it was complete.';

/** The sweep that forgets ended streams runs every `endedRetentionMs`, kept within these bounds. */
const SWEEP_MIN_MS = 1000;
const SWEEP_MAX_MS = 10_000;

export interface ResumeResult {
  events: StreamEvent[];
  /** Where the events came from, for metrics and tests. */
  source: 'ring' | 'broker' | 'none';
}

export class ConversationHub {
  private readonly open = new Map<string, OpenConversation>();
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly options: HubOptions;
  /** Token budget reservations of streams started here, refunded when their stream-end passes through. */
  readonly reservations: ReservationLedger;
  /** Trace spans of answers started here, ended when their stream-end passes through (tracing/answer-spans.ts). */
  readonly answers: AnswerSpans;
  /** Stores ended answers (retrying while the store is down). */
  private readonly writer: AnswerWriter;
  /** Each ended answer stored once by this node, whichever path asks (ended-answers.ts). */
  private readonly ended: EndedAnswers;
  private readonly statusSubscription: Subscription;
  private readonly deletedSubscription: Subscription;
  /** Names this node in its deletion announcements (it skips its own: it let the conversation go already). */
  private readonly nodeId = randomUUID();
  /** The broker connection was lost since the last catch-up (live events may have been missed meanwhile). */
  private missedLive = false;

  constructor(
    private readonly broker: Broker,
    private readonly store: Store,
    private readonly metrics: RelayMetrics,
    options: Partial<HubOptions>,
    private readonly log: (message: string, error?: unknown, fields?: Record<string, unknown>) => void,
    /** Records a span per answer when given (off by default). */
    tracer?: Tracer,
  ) {
    this.options = resolveHubOptions(options);
    this.reservations = new ReservationLedger(store, log);
    this.writer = new AnswerWriter(broker, store, log);
    this.ended = new EndedAnswers(
      broker,
      this.writer,
      { rememberMs: this.options.endedRetentionMs, memory: settleMemoryOptions(this.options) },
      log,
    );
    this.answers = new AnswerSpans(tracer);
    const stallCheckMs = this.options.stallTimeoutMs > 0 ? this.options.stallTimeoutMs / 4 : SWEEP_MAX_MS;
    const sweepMs = Math.max(SWEEP_MIN_MS, Math.min(this.options.endedRetentionMs, stallCheckMs, SWEEP_MAX_MS));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref?.();
    // Live events published while this node's broker connection was down never reach it (core NATS does not
    // queue for a subscriber); the broker retains them: fetch what each running stream missed once reconnected.
    this.statusSubscription = broker.onStatus((status) => {
      if (status === 'reconnecting') {
        this.missedLive = true;
        this.ended.distrustSettled();
      } else if (status === 'connected' && this.missedLive) {
        this.missedLive = false;
        void this.catchUpAll();
      }
    });
    // A conversation deleted through another node: its sockets here are told and it is let go, as on that node
    // (else they kept following it — its live events too, should its id be claimed again).
    this.deletedSubscription = broker.onDeleted((conversationId, origin) => {
      if (origin === this.nodeId) return;
      for (const member of this.forget(conversationId)) member.conversationDeleted?.(conversationId);
    });
  }

  /**
   * Tells the other nodes that a conversation deleted through this one is gone (once the deletion is complete):
   * each lets it go and tells its sockets. A failed announcement is logged; the deletion itself stands.
   */
  async announceDeleted(conversationId: string): Promise<void> {
    try {
      await this.broker.announceDeleted(conversationId, this.nodeId);
    } catch (error) {
      this.log(`could not tell the other nodes that ${conversationId} was deleted`, error, { conversationId });
    }
  }

  /** Fetches from the broker what every running stream on this node may have missed (after a reconnect). */
  private async catchUpAll(): Promise<void> {
    for (const conv of [...this.open.values()]) {
      for (const record of [...conv.streams.values()]) if (!record.end) await this.catchUp(conv, record);
    }
  }

  /** Applies a stream's retained events after its last recorded seq; returns how many were new. */
  private async catchUp(conv: OpenConversation, record: StreamRecord): Promise<number> {
    let events: ConversationEvent[];
    try {
      events = await this.broker.replay({
        conversationId: conv.id,
        streamId: record.streamId,
        fromSeq: record.lastSeq + 1,
      });
    } catch (error) {
      this.log(`could not catch up on stream ${record.streamId}`, error, { conversationId: conv.id });
      return 0;
    }
    let applied = 0;
    for (const event of events) {
      if (event.type === 'message' || this.open.get(conv.id) !== conv) continue;
      if (this.apply(conv, event, encodeFrame(event), performance.now())) applied++;
    }
    return applied;
  }

  /** Adds a member; resolves when the conversation's retained state is loaded on this node. */
  async join(conversationId: string, member: HubMember): Promise<void> {
    let conv = this.open.get(conversationId);
    if (!conv) {
      conv = new OpenConversation(conversationId);
      this.open.set(conversationId, conv);
      this.ended.forgetSettled(conversationId); // followed here from now on
      this.metrics.conversationsOpen.inc();
      const c = conv;
      c.subscription = this.broker.subscribe(conversationId, (event, bytes) => this.onLive(c, event, bytes));
      c.ready = this.seed(c);
    }
    if (conv.lingerTimer) {
      clearTimeout(conv.lingerTimer);
      conv.lingerTimer = undefined;
    }
    conv.following = false;
    conv.members.add(member);
    await conv.ready;
  }

  leave(conversationId: string, member: HubMember): void {
    const conv = this.open.get(conversationId);
    if (!conv || !conv.members.delete(member) || conv.members.size > 0) return;
    conv.lingerTimer = setTimeout(() => this.lingerEnded(conv), this.options.lingerMs);
    conv.lingerTimer.unref?.();
  }

  /** Whether this node follows a conversation only for its running streams (tests). */
  isFollowing(conversationId: string): boolean {
    return this.open.get(conversationId)?.following ?? false;
  }

  isOpen(conversationId: string): boolean {
    return this.open.has(conversationId);
  }

  /** Streams of a conversation this node knows (running, or ended within the retention time). */
  streamStates(conversationId: string): StreamState[] {
    const conv = this.open.get(conversationId);
    if (!conv) return [];
    const out: StreamState[] = [];
    for (const record of conv.streams.values()) {
      const state = record.state();
      if (state) out.push(state);
    }
    return out;
  }

  /**
   * Stores the answers of the conversation's streams that ended and that no node stored (e.g. their relay was
   * killed between the end and the write), before a read of its history: the conversation held open here was
   * seeded (which stores them) and its stores under way are awaited; one held by no node here is settled from
   * the broker's retained events (not read again while nothing was published in it since the last settle:
   * settle-memory.ts). Idempotent; each answer is written once by this node.
   */
  async storeEnded(conversationId: string): Promise<void> {
    const conv = this.open.get(conversationId);
    if (!conv) return this.ended.settle(conversationId);
    await conv.ready;
    await this.ended.pending(conv.streams.keys());
  }

  /** Events to continue `streamId` from `fromSeq`: from the ring when it holds them, else from the broker. */
  async resume(conversationId: string, streamId: string, fromSeq: number): Promise<ResumeResult> {
    const conv = this.open.get(conversationId);
    if (conv) await conv.ready;
    const record = conv?.streams.get(streamId);
    if (record?.canServe(fromSeq)) return { events: record.from(fromSeq), source: 'ring' };
    const replayed = await this.broker.replay({ conversationId, streamId, fromSeq });
    const events = replayed.filter((e): e is StreamEvent => e.type !== 'message');
    // The broker's retention drops the oldest batches first: when the batch at `fromSeq` is gone but later ones
    // are not, the events start after a hole. Nothing then: the client is told the stream cannot be resumed and
    // reloads the history (never a splice across a hole).
    if (startsWithHole(events, fromSeq)) return { events: [], source: 'none' };
    return { events, source: events.length ? 'broker' : 'none' };
  }

  /**
   * Lets a deleted conversation go on this node: its streams are forgotten (nothing of it can be resumed from
   * here any more), its members released (they no longer follow it: a socket that sends to the id again joins
   * it anew) and its subscription closed. A stream the delete cancelled ends unseen here: its budget reservation
   * stays spent (the ledger's rule for an end never seen) rather than this node following a deleted
   * conversation, whose end would store the answer into it again. Returns the members let go, to be told once
   * the deletion is complete.
   *
   * (Members that stayed subscribed kept each deleted conversation's entry here, broker subscription and place
   * in their session until their socket closed: the issue-12 soak's relay heap grew 110 → 170 MiB in an hour.)
   */
  forget(conversationId: string): HubMember[] {
    this.ended.forgetSettled(conversationId);
    const conv = this.open.get(conversationId);
    if (!conv) return [];
    const members = [...conv.members];
    conv.members.clear();
    for (const member of members) member.released?.(conversationId);
    this.closeConversation(conv);
    conv.streams.clear();
    return members;
  }

  /** Whether this node holds any stream of the conversation (tests: a deleted one holds none). */
  holdsStreams(conversationId: string): boolean {
    return (this.open.get(conversationId)?.streams.size ?? 0) > 0;
  }

  async close(): Promise<void> {
    this.statusSubscription.unsubscribe();
    this.deletedSubscription.unsubscribe();
    this.writer.close();
    this.ended.close();
    clearInterval(this.sweeper);
    for (const conv of this.open.values()) this.closeConversation(conv);
    this.answers.endAll();
  }

  // ───────────── internals ─────────────

  private async seed(conv: OpenConversation): Promise<void> {
    try {
      await this.broker.flush();
      const retained = await this.broker.replay({ conversationId: conv.id });
      for (const event of retained) this.record(conv, event);
      // A stream that ended while no node had this conversation open (in a rolling restart its tabs were moving
      // between relays) was stored by nobody: store it now. Idempotent: the message id derives from the stream.
      for (const event of retained)
        if (event.type === 'stream-end') void this.ended.store(conv.id, conv.streams.get(event.streamId));
    } catch (error) {
      this.log(`could not load retained events of ${conv.id}; resumes fall back to the broker`, error, {
        conversationId: conv.id,
      });
    } finally {
      conv.seeding = false;
      const pending = conv.pendingLive;
      conv.pendingLive = [];
      for (const [event, bytes, at] of pending) this.apply(conv, event, bytes, at);
    }
  }

  private onLive(conv: OpenConversation, event: ConversationEvent, bytes: Uint8Array): void {
    const at = performance.now();
    if (conv.seeding) {
      // The bytes may be a view into a reused buffer: keep a copy while we wait.
      conv.pendingLive.push([event, bytes.slice(), at]);
      return;
    }
    this.apply(conv, event, bytes, at);
  }

  /** Records a live event and fans it out to local members when it is new. */
  private apply(conv: OpenConversation, event: ConversationEvent, bytes: Uint8Array, receivedAt: number): boolean {
    if (!this.record(conv, event, bytes)) return false;
    for (const member of conv.members) member.deliver(event, bytes, receivedAt);
    if (event.type === 'stream-end') {
      this.reservations.settle(event);
      this.answers.end(event);
      void this.ended.store(conv.id, conv.streams.get(event.streamId));
      this.closeIfFollowed(conv);
    }
    return true;
  }

  /** Returns false for duplicates. `bytes`: the event as encoded, when at hand (the ring keeps batches as bytes). */
  private record(conv: OpenConversation, event: ConversationEvent, bytes?: Uint8Array): boolean {
    if (event.type === 'message') return true;
    let record = conv.streams.get(event.streamId);
    if (!record) {
      record = new StreamRecord(event.streamId, this.options.ringBatches);
      conv.streams.set(event.streamId, record);
    }
    const wasActive = record.start !== undefined && !record.done;
    const isNew = record.add(event, bytes);
    const isActive = record.start !== undefined && !record.done;
    if (isActive !== wasActive) this.metrics.streamsActive.inc(isActive ? 1 : -1);
    return isNew;
  }

  /**
   * The linger ran out with no member back. A stream that still runs is followed to its end so that its answer
   * is stored (no other node may hold the conversation); the conversation closes once none runs (apply, sweep).
   */
  private lingerEnded(conv: OpenConversation): void {
    conv.lingerTimer = undefined;
    if (conv.members.size > 0 || this.open.get(conv.id) !== conv) return;
    if (this.hasFollowedStream(conv)) conv.following = true;
    else this.closeConversation(conv);
  }

  /** Whether a stream of `conv` runs and had an event within {@link followSilenceMs}. */
  private hasFollowedStream(conv: OpenConversation, now = Date.now()): boolean {
    const since = now - followSilenceMs(this.options);
    for (const record of conv.streams.values()) if (!record.end && record.lastEventAt >= since) return true;
    return false;
  }

  /** Closes a conversation kept only to follow its streams once none is left to follow. */
  private closeIfFollowed(conv: OpenConversation, now?: number): void {
    if (conv.following && conv.members.size === 0 && !this.hasFollowedStream(conv, now)) this.closeConversation(conv);
  }

  private closeConversation(conv: OpenConversation): void {
    if (this.open.get(conv.id) !== conv) return;
    if (conv.lingerTimer) clearTimeout(conv.lingerTimer);
    conv.subscription?.unsubscribe();
    this.open.delete(conv.id);
    this.metrics.conversationsOpen.dec();
    for (const record of conv.streams.values()) if (record.start && !record.done) this.metrics.streamsActive.dec();
  }

  /** Forgets ended streams after the retention time; ends stalled ones. */
  private sweep(): void {
    this.reservations.sweep();
    this.answers.sweep();
    const now = Date.now();
    this.ended.sweep(now);
    const cutoff = now - this.options.endedRetentionMs;
    const stalledBefore = this.options.stallTimeoutMs > 0 ? now - this.options.stallTimeoutMs : -Infinity;
    for (const conv of [...this.open.values()]) {
      for (const [id, record] of conv.streams) {
        if (record.endedAt !== undefined && record.endedAt < cutoff) conv.streams.delete(id);
        else if (!record.end && record.lastSeq > 0 && !record.stallReported && record.lastEventAt < stalledBefore)
          void this.endStalled(conv, record);
      }
      this.closeIfFollowed(conv, now);
    }
  }

  /**
   * Ends a stream whose producer went silent after its first token, through the broker (so every node, every tab
   * and the store see the same end; a repeat by another node is dropped as a duplicate end), and cancels it in
   * case its bridge is only slow. Before the first token nothing is done here: the request is redelivered.
   */
  private async endStalled(conv: OpenConversation, record: StreamRecord): Promise<void> {
    record.stallReported = true;
    // Silent here is not yet dead: its events may have passed while this node was cut from the broker.
    if ((await this.catchUp(conv, record)) > 0) {
      record.stallReported = false;
      return;
    }
    const silentMs = Date.now() - record.lastEventAt;
    this.log(
      `stream ${record.streamId} had no event for ${silentMs} ms after seq ${record.lastSeq}; ending it`,
      undefined,
      {
        conversationId: conv.id,
        streamId: record.streamId,
      },
    );
    try {
      await this.broker.publish(conv.id, {
        type: 'stream-end',
        streamId: record.streamId,
        conversationId: conv.id,
        lastSeq: record.lastSeq,
        finishReason: 'error',
        errorCode: 'stream-failed',
        errorMessage: STALLED_STREAM_MESSAGE,
      });
    } catch (error) {
      record.stallReported = false; // the next sweep tries again
      this.log(`could not end the stalled stream ${record.streamId}`, error, { conversationId: conv.id });
      return;
    }
    await this.broker.cancel(record.streamId).catch(() => undefined);
  }
}

/** Whether retained `events` of one stream miss batches from `fromSeq` on (see ConversationHub.resume). */
function startsWithHole(events: readonly StreamEvent[], fromSeq: number): boolean {
  let next = fromSeq;
  for (const event of events) {
    if (event.type === 'token') {
      if (firstSeqOf(event) > next) return true;
      next = Math.max(next, event.seq + 1);
    } else if (event.type === 'stream-end') return event.lastSeq >= next;
  }
  return false;
}
