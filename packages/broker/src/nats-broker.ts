/**
 * Broker over NATS (server ≥ 2.9) with the maintained v3 client.
 *
 * - Live fan-out: core NATS. Each node holds one subscription per open conversation (`llc.conv.<id>.>`); the
 *   server fans out to nodes. No per-client JetStream consumers (they collapse at tens of thousands).
 * - Retention for resume: the JetStream stream LLC_EVENTS captures every event subject with a short max age.
 *   Events are published with a reply subject and each is acknowledged by the stream (pipelined, retried in
 *   order per stream until a deadline: nats-durable-publisher.ts); they carry `Nats-Msg-Id = <streamId>:<seq>`
 *   so a retry (the broker's or a bridge's) stores nothing twice. Replays read one stream's subject.
 * - Work queue: the JetStream stream LLC_REQUESTS (work-queue retention, file storage) with
 *   `Nats-Msg-Id = requestId`, consumed by a durable pull consumer shared by every bridge.
 * - Cancellations: `llc.gen.cancel.<streamId>`, live to every bridge and retained briefly in LLC_CANCELS.
 * - Deletions: `llc.deleted.<conversationId>`, live to every relay (core NATS, not retained).
 *
 * The client reconnects by itself and restores core subscriptions; the pull loop retries across outages.
 */
import { connect, headers, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { encodeFrame, viewTokenFrame } from '@locallightchat/protocol';
import {
  BrokerUnavailableError,
  type Broker,
  type BrokerStatus,
  type ConsumeOptions,
  type Consumer,
  type EventListener,
  type ReplayQuery,
  type RequestHandler,
  type SubmitOptions,
  type SubmitResult,
  type Subscription,
} from './broker.js';
import { ListenerSet } from './listener-set.js';
import {
  Subjects,
  decodeEvent,
  encodeRequest,
  eventMessageId,
  type ConversationEvent,
  type GenerationRequest,
} from './messages.js';
import { PullLoop } from './nats-pull-loop.js';
import { DurablePublisher } from './nats-durable-publisher.js';
import { BulkReplayer } from './nats-bulk-replay.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { replayRetained, type ReplaySource } from './nats-replay.js';
import { securityConnectOptions } from './nats-security.js';
import { resolveNatsBrokerOptions, type NatsBrokerOptions, type NatsBrokerSettings } from './nats-options.js';
import { ensureStreams, jetStreamNames, type JetStreamNames } from './nats-streams.js';

/** A live subscription's listener; `active` turns false on unsubscribe (events still in the inbox are dropped). */
interface LiveTarget {
  listener: EventListener;
  active: boolean;
}

/** The Broker over NATS and JetStream, for relays and bridges in many processes; create it with `connect`. */
export class NatsBroker implements Broker {
  private currentStatus: BrokerStatus = 'connected';
  private readonly statusListeners = new ListenerSet<[BrokerStatus]>();
  private readonly cancelListeners = new ListenerSet<[string]>();
  private cancelSub?: NatsSubscription;
  private readonly deletedListeners = new ListenerSet<[string, string]>();
  private deletedSub?: NatsSubscription;
  /** Live events of this turn, not yet handed to their listeners (see deliverTurn). */
  private inboxTargets: LiveTarget[] = [];
  private inboxEvents: ConversationEvent[] = [];
  private inboxBytes: Uint8Array[] = [];
  /** Outgoing events: gathered per turn, acknowledged by JetStream, retried in order (nats-durable-publisher.ts). */
  private readonly events: DurablePublisher<ConversationEvent>;
  private readonly names: JetStreamNames;
  private readonly replaySource: ReplaySource;
  /** At most `maxConcurrentReplays` replays reach JetStream at once (concurrency-gate.ts). */
  private readonly replays: ConcurrencyGate;
  /** Whole-conversation replays read together (nats-bulk-replay.ts). */
  private readonly bulk: BulkReplayer;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly opts: NatsBrokerSettings,
  ) {
    this.names = jetStreamNames(opts.prefix);
    this.events = new DurablePublisher(nc, {
      ackTimeoutMs: opts.publishAckTimeoutMs,
      deadlineMs: opts.publishDeadlineMs,
      onSubjectFailed: (subject, reason, firstLost) => this.failStream(subject, reason, firstLost),
    });
    this.replays = new ConcurrencyGate(opts.maxConcurrentReplays);
    this.replaySource = {
      js,
      jsm,
      names: this.names,
      status: () => this.currentStatus,
      publishDeadlineMs: opts.publishDeadlineMs,
      log: opts.log,
    };
    this.bulk = new BulkReplayer(this.replaySource, (query) => this.replayAlone(query));
    void this.watchStatus();
  }

  /** Connects and makes sure the JetStream streams and the work-queue consumer exist. */
  static async connect(options: NatsBrokerOptions): Promise<NatsBroker> {
    const opts = resolveNatsBrokerOptions(options);
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...securityConnectOptions(opts.security),
        servers: opts.servers,
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        waitOnFirstConnect: false,
      });
    } catch (error) {
      throw new BrokerUnavailableError(`cannot connect to NATS at ${String(opts.servers)}: ${describe(error)}`);
    }
    const jsm = await jetstreamManager(nc);
    const broker = new NatsBroker(nc, jetstream(nc), jsm, opts);
    await ensureStreams(jsm, broker.names, opts);
    return broker;
  }

  get status(): BrokerStatus {
    return this.currentStatus;
  }

  onStatus(listener: (status: BrokerStatus) => void): Subscription {
    return this.statusListeners.add(listener);
  }

  async submit(request: GenerationRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    const trace = options.traceContext;
    let h: ReturnType<typeof headers> | undefined;
    if (trace) {
      h = headers();
      h.set('traceparent', trace.traceparent);
      if (trace.tracestate) h.set('tracestate', trace.tracestate);
    }
    try {
      const ack = await this.js.publish(Subjects.requests, encodeRequest(request), {
        msgID: request.requestId,
        timeout: 5000,
        ...(h ? { headers: h } : {}),
      });
      return { duplicate: ack.duplicate };
    } catch (error) {
      throw new BrokerUnavailableError(`could not queue the request: ${describe(error)}`);
    }
  }

  consume(handler: RequestHandler, options: ConsumeOptions): Consumer {
    return new PullLoop(
      this.js,
      this.names.requests,
      this.names.consumer,
      handler,
      options.maxInFlight,
      this.opts.log,
      this.nc,
      this.opts.ackWaitMs,
    );
  }

  /**
   * Resolves once the client holds the event (gathered with this turn's others into one socket write); its
   * storage is acknowledged in the background and retried in order. An event of a stream not stored within
   * `publishDeadlineMs` fails the stream: a `stream-end` with `stream-failed` is sent in its place and later
   * publishes of that stream reject with {@link BrokerUnavailableError}.
   */
  async publish(conversationId: string, event: ConversationEvent): Promise<void> {
    if (this.nc.isClosed()) throw new BrokerUnavailableError('the NATS connection is closed');
    const h = headers();
    h.set('Nats-Msg-Id', eventMessageId(event));
    return this.events.publish(Subjects.event(conversationId, event), encodeFrame(event), h, event);
  }

  /** Event publishing and JetStream acks still outstanding (bench and tests; 0 when everything is stored). */
  get unacknowledgedEvents(): number {
    return this.events.unacknowledged;
  }

  /** Events sent again because their ack was late or JetStream had no leader (bench and tests). */
  get resentEvents(): number {
    return this.events.resent;
  }

  /** Resolves once every published event is stored (or its stream failed), or after `timeoutMs`. */
  settled(timeoutMs = this.opts.publishDeadlineMs): Promise<void> {
    this.events.flush();
    return this.events.settled(timeoutMs);
  }

  /**
   * A stream's events could not be stored in time: tell its readers it failed rather than leave a hole. The end
   * says the last batch before the first one lost; it goes out as a core publish (best effort, live to every
   * relay — if NATS is unreachable altogether, the relay's stall timeout ends the stream instead).
   */
  private failStream(subject: string, reason: string, firstLost: ConversationEvent): void {
    this.opts.log(`events on ${subject} were not stored; the stream fails`, new Error(reason));
    if (firstLost.type === 'message') return;
    // The subject is llc.conv.<conversationId>.<streamId> (Subjects.event).
    const conversationId = subject.split('.')[2]!;
    const lastSeq =
      firstLost.type === 'token'
        ? (firstLost.firstSeq ?? firstLost.seq) - 1
        : firstLost.type === 'stream-end'
          ? firstLost.lastSeq
          : 0;
    const end: ConversationEvent = {
      type: 'stream-end',
      streamId: firstLost.streamId,
      conversationId,
      lastSeq,
      finishReason: 'error',
      errorCode: 'stream-failed',
      errorMessage: 'The answer was interrupted: part of it could not be saved.',
    };
    const h = headers();
    h.set('Nats-Msg-Id', eventMessageId(end));
    try {
      this.nc.publish(subject, encodeFrame(end), { headers: h });
    } catch (error) {
      this.opts.log(`could not publish the failed end of ${subject}`, error);
    }
  }

  subscribe(conversationId: string, listener: EventListener): Subscription {
    const target: LiveTarget = { listener, active: true };
    const sub = this.nc.subscribe(Subjects.conversation(conversationId), {
      callback: (error, msg) => {
        if (error) return this.opts.log(`subscription to ${conversationId} failed`, error, { conversationId });
        const data = msg.data;
        // Token batches (nearly all traffic) are forwarded as bytes: only their header is read here, their text
        // when something needs it (token-view.ts in protocol); everything else is decoded and validated in full.
        let event: ConversationEvent | undefined = viewTokenFrame(data);
        if (!event) {
          try {
            event = decodeEvent(data);
          } catch (e) {
            return this.opts.log(`dropped a malformed event on ${msg.subject}`, e, { conversationId });
          }
        }
        this.inboxTargets.push(target);
        this.inboxEvents.push(event);
        this.inboxBytes.push(data);
        if (this.inboxTargets.length === 1) setImmediate(this.deliverTurn);
      },
    });
    return {
      unsubscribe: () => {
        target.active = false;
        sub.unsubscribe();
      },
    };
  }

  /**
   * Hands the events read from NATS in this event-loop turn to their listeners, in arrival order. The client
   * parses each socket read separately and a relay writes its sockets after each task, so delivering per read
   * meant one write syscall per socket per read; per turn, a busy relay writes each socket once for everything
   * that arrived meanwhile (bench/README.md, "Profiling the relay"). An event waits at most for the rest of the
   * turn's input; order within a subscription is NATS's.
   */
  private readonly deliverTurn = (): void => {
    const targets = this.inboxTargets;
    const events = this.inboxEvents;
    const bytes = this.inboxBytes;
    this.inboxTargets = [];
    this.inboxEvents = [];
    this.inboxBytes = [];
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (!target.active) continue;
      try {
        target.listener(events[i]!, bytes[i]!);
      } catch (error) {
        this.opts.log('a conversation event listener failed', error);
      }
    }
  };

  async purge(conversationId: string): Promise<void> {
    try {
      await this.jsm.streams.purge(this.names.events, { filter: Subjects.conversation(conversationId) });
    } catch (error) {
      throw new BrokerUnavailableError(`could not purge retained events: ${describe(error)}`);
    }
  }

  /**
   * Retained events of the query, in seq order per stream; read again while JetStream elects a leader or a
   * batch is still being stored (nats-replay.ts).
   */
  replay(query: ReplayQuery): Promise<ConversationEvent[]> {
    // A whole conversation (a relay opening it) is read together with the others waiting (nats-bulk-replay.ts).
    if (query.streamId === undefined && query.fromSeq === undefined)
      return this.bulk.replayConversation(query.conversationId);
    return this.replayAlone(query);
  }

  private replayAlone(query: ReplayQuery): Promise<ConversationEvent[]> {
    return this.replays.run(() => replayRetained(this.replaySource, query));
  }

  async announceDeleted(conversationId: string, origin: string): Promise<void> {
    try {
      this.nc.publish(Subjects.deleted(conversationId), origin);
      await this.nc.flush();
    } catch (error) {
      throw new BrokerUnavailableError(`could not announce the deletion: ${describe(error)}`);
    }
  }

  onDeleted(listener: (conversationId: string, origin: string) => void): Subscription {
    this.deletedSub ??= this.nc.subscribe(Subjects.allDeleted, {
      callback: (error, msg) => {
        if (!error) this.deletedListeners.emit(msg.subject.slice(Subjects.allDeleted.length - 1), msg.string());
      },
    });
    return this.deletedListeners.add(listener);
  }

  async cancel(streamId: string): Promise<void> {
    try {
      await this.js.publish(Subjects.cancel(streamId), new Uint8Array(0), {
        msgID: `cancel:${streamId}`,
        timeout: 5000,
      });
    } catch (error) {
      throw new BrokerUnavailableError(`could not publish the cancellation: ${describe(error)}`);
    }
  }

  onCancel(listener: (streamId: string) => void): Subscription {
    this.cancelSub ??= this.nc.subscribe(Subjects.allCancels, {
      callback: (error, msg) => {
        if (!error) this.cancelListeners.emit(msg.subject.slice(Subjects.allCancels.length - 1));
      },
    });
    return this.cancelListeners.add(listener);
  }

  async isCancelled(streamId: string): Promise<boolean> {
    try {
      return (
        (await this.jsm.streams.getMessage(this.names.cancels, { last_by_subj: Subjects.cancel(streamId) })) !== null
      );
    } catch {
      return false;
    }
  }

  async flush(): Promise<void> {
    this.events.flush();
    await this.nc.flush();
  }

  /** Waits (at most 5 s) for outstanding event acks, so that a drained bridge's last events are stored. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.settled(Math.min(5000, this.opts.publishDeadlineMs));
    this.events.close();
    await this.nc.close();
  }

  // ───────────── setup and status ─────────────

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      const next: BrokerStatus | undefined =
        s.type === 'disconnect' || s.type === 'reconnecting'
          ? 'reconnecting'
          : s.type === 'reconnect'
            ? 'connected'
            : s.type === 'close'
              ? 'closed'
              : undefined;
      if (s.type === 'reconnect') {
        this.opts.log('reconnected to NATS');
        this.events.resendAll();
      }
      if (next && next !== this.currentStatus) {
        this.currentStatus = next;
        this.statusListeners.emit(next);
      }
    }
    this.currentStatus = 'closed';
    this.statusListeners.emit('closed');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
