/**
 * Broker over NATS (server ≥ 2.9) with the maintained v3 client.
 *
 * - Live fan-out: core NATS. Each node holds one subscription per open conversation (`llc.conv.<id>.>`); the
 *   server fans out to nodes. No per-client JetStream consumers (they collapse at tens of thousands).
 * - Retention for resume: the JetStream stream LLC_EVENTS captures every event subject with a short max age;
 *   events carry `Nats-Msg-Id = <streamId>:<seq>` so a bridge retry stores nothing twice. Replays read one
 *   stream's subject with an ordered consumer.
 * - Work queue: the JetStream stream LLC_REQUESTS (work-queue retention, file storage) with
 *   `Nats-Msg-Id = requestId`, consumed by a durable pull consumer shared by every bridge.
 * - Cancellations: `llc.gen.cancel.<streamId>`, live to every bridge and retained briefly in LLC_CANCELS.
 *
 * The client reconnects by itself and restores core subscriptions; the pull loop retries across outages.
 */
import { connect, headers, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
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
import { matchesReplay } from './replay-filter.js';
import { TurnPublisher } from './turn-publisher.js';
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
  /** Live events of this turn, not yet handed to their listeners (see deliverTurn). */
  private inboxTargets: LiveTarget[] = [];
  private inboxEvents: ConversationEvent[] = [];
  private inboxBytes: Uint8Array[] = [];
  /** Outgoing events of this turn, handed to the client together. */
  private readonly turnPublisher = new TurnPublisher((subject, data, h) =>
    this.nc.publish(subject, data, { headers: h }),
  );
  private readonly names: JetStreamNames;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly opts: NatsBrokerSettings,
  ) {
    this.names = jetStreamNames(opts.prefix);
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
    return new PullLoop(this.js, this.names.requests, this.names.consumer, handler, options.maxInFlight, this.opts.log);
  }

  async publish(conversationId: string, event: ConversationEvent): Promise<void> {
    if (this.nc.isClosed()) throw new BrokerUnavailableError('the NATS connection is closed');
    const h = headers();
    h.set('Nats-Msg-Id', eventMessageId(event));
    // Core publish (buffered by the client while reconnecting, captured by LLC_EVENTS with dedup), gathered with
    // this event-loop turn's others into one socket write (turn-publisher.ts).
    return this.turnPublisher.publish(Subjects.event(conversationId, event), encodeFrame(event), h);
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

  async replay(query: ReplayQuery): Promise<ConversationEvent[]> {
    const subject = query.streamId
      ? Subjects.stream(query.conversationId, query.streamId)
      : Subjects.conversation(query.conversationId);
    let expected: number;
    try {
      const info = await this.jsm.streams.info(this.names.events, { subjects_filter: subject });
      expected = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    } catch (error) {
      throw new BrokerUnavailableError(`could not read retained events: ${describe(error)}`);
    }
    if (expected === 0) return [];
    const consumer = await this.js.consumers.get(this.names.events, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.All,
    });
    const events: ConversationEvent[] = [];
    try {
      const messages = await consumer.fetch({ max_messages: expected, expires: 5000 });
      for await (const msg of messages) {
        try {
          const event = decodeEvent(msg.data);
          if (matchesReplay(event, query)) events.push(event);
        } catch (e) {
          this.opts.log(`skipped a malformed retained event on ${msg.subject}`, e);
        }
        if (msg.info.pending === 0) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
    return events;
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
    this.turnPublisher.flush();
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    this.turnPublisher.flush();
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
      if (s.type === 'reconnect') this.opts.log('reconnected to NATS');
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
