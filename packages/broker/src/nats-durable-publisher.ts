/**
 * Conversation events stored with JetStream's acknowledgement, pipelined, retried in order.
 *
 * A core publish is captured by LLC_EVENTS only while the stream has a leader: in a JetStream R3 cluster that
 * lost a node, batches published during the leader election were delivered live but never stored, so a relay
 * that missed them live (it was reconnecting) could not get them back. Here every event is published with a
 * reply subject (what `js.publish` does), so the stream leader answers with a PubAck once the event is stored,
 * and what is not acknowledged is sent again:
 *
 * - Pipelined: an event goes out at once (gathered with the turn's other publishes, turn-publisher.ts) without
 *   waiting for the acks of earlier ones; one inbox subscription takes every ack, and one timer finds the late.
 * - In order per subject (one stream's events): when an event times out or JetStream answers 503 (no leader, no
 *   responders), every unacknowledged event of its subject is sent again in publish order after a backoff, and
 *   events published meanwhile wait behind them. Events stored before the failure are not stored twice: each
 *   carries `Nats-Msg-Id` (`<streamId>:<seq>`) and the stream's duplicate window is longer than the deadline.
 * - Found lost early: JetStream stores (and acknowledges) one stream's events in the order they arrive, and one
 *   connection keeps send order, so an event still unacknowledged when a later one's ack came is lost (a node
 *   died with it, or it was published during an election): it is sent again after a short grace instead of a
 *   whole ack timeout. After a reconnect every unacknowledged event is sent again (what went into the dead
 *   socket is gone). When no ack at all comes for a second (an election, or a busy server), the oldest waiting
 *   subject goes again as a probe, one per sweep (see sweep).
 * - Bounded: an event not acknowledged `deadlineMs` after its first send fails its subject for good — later
 *   publishes on it are refused, and the owner is told (it ends the stream explicitly) — never a silent gap.
 */
import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { BrokerUnavailableError } from './broker.js';
import { TurnPublisher } from './turn-publisher.js';

/** Settings of a {@link DurablePublisher}. */
export interface DurablePublishSettings<T> {
  /** One attempt's wait for its PubAck, ms. */
  ackTimeoutMs: number;
  /** From an event's first send until its subject fails, ms (shorter than the stream's duplicate window). */
  deadlineMs: number;
  /** A subject failed for good: `firstLost` is the meta of its oldest unacknowledged event. */
  onSubjectFailed: (subject: string, reason: string, firstLost: T) => void;
}

interface Entry<T> {
  lane: Lane<T>;
  data: Uint8Array;
  headers: MsgHdrs;
  meta: T;
  /** Reply id of the current attempt (0 = not sent yet). */
  id: number;
  sentAt: number;
  deadline: number;
}

/** The unacknowledged events of one subject, in publish order. */
interface Lane<T> {
  subject: string;
  unacked: Entry<T>[];
  /** Set while a resend of `unacked` is scheduled: new events wait for it. */
  resend?: NodeJS.Timeout;
  retries: number;
}

const FIRST_BACKOFF_MS = 100;
/** An event overtaken by a later one's ack is taken as lost this long after it was sent, ms. */
const OVERTAKEN_GRACE_MS = 250;
/**
 * No ack at all for this long while events wait: JetStream is not answering (no leader), send again, ms. Under
 * load acks keep coming, only late: then just the (longer) ack timeout applies.
 */
const STALL_MS = 1000;
const MAX_BACKOFF_MS = 2000;
/** How long a failed subject keeps refusing publishes (a stream is long over by then). */
const FAILED_MEMORY_MS = 10 * 60_000;
const decoder = new TextDecoder();

/** Publishes with PubAck, retries and a deadline (see the module note); `T` describes an event for its owner. */
export class DurablePublisher<T> {
  private readonly inbox = `${createInbox()}.`;
  private nextId = 0;
  /** The highest reply id acknowledged so far (see "Found lost early"). */
  private lastAckedId = 0;
  private lastAckAt = performance.now();
  /** Attempts awaiting their ack, in send order (so the oldest come first). */
  private readonly waiting = new Map<number, Entry<T>>();
  private readonly lanes = new Map<string, Lane<T>>();
  private readonly failed = new Map<string, { reason: string; at: number }>();
  private readonly turn: TurnPublisher;
  private readonly sweeper: NodeJS.Timeout;
  /** Attempts sent again so far (a figure for benchmarks and tests). */
  resent = 0;

  constructor(
    nc: NatsConnection,
    private readonly settings: DurablePublishSettings<T>,
  ) {
    this.turn = new TurnPublisher((subject, data, h, reply) =>
      nc.publish(subject, data, reply ? { headers: h, reply } : { headers: h }),
    );
    nc.subscribe(`${this.inbox}*`, {
      callback: (error, msg) => {
        if (!error) this.onReply(msg);
      },
    });
    this.sweeper = setInterval(this.sweep, Math.min(OVERTAKEN_GRACE_MS, settings.ackTimeoutMs / 4));
    this.sweeper.unref();
  }

  /**
   * Publishes `data` on `subject` after the subject's earlier events; resolves once the client holds it (its ack
   * is awaited in the background), rejects when the client refuses it or the subject failed.
   */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs, meta: T): Promise<void> {
    const failed = this.failed.get(subject);
    if (failed) return Promise.reject(new BrokerUnavailableError(failed.reason));
    let lane = this.lanes.get(subject);
    if (!lane) {
      lane = { subject, unacked: [], retries: 0 };
      this.lanes.set(subject, lane);
    }
    const entry: Entry<T> = { lane, data, headers, meta, id: 0, sentAt: 0, deadline: 0 };
    lane.unacked.push(entry);
    if (lane.resend) return Promise.resolve();
    return this.send(entry);
  }

  /** Events sent and not yet acknowledged (or waiting for a resend). */
  get unacknowledged(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.unacked.length;
    return n;
  }

  /** The connection came back: what was sent into the old one may be lost, so everything unacknowledged goes again. */
  resendAll(): void {
    for (const lane of [...this.lanes.values()]) {
      const oldest = lane.unacked[0];
      if (oldest) this.retry(oldest, 'reconnected');
    }
  }

  /** Hands the turn's gathered publishes to the client now. */
  flush(): void {
    this.turn.flush();
  }

  /** Resolves once every event is acknowledged or failed, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (this.lanes.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const lane of this.lanes.values()) clearTimeout(lane.resend);
  }

  private send(entry: Entry<T>): Promise<void> {
    const id = ++this.nextId;
    entry.id = id;
    entry.sentAt = performance.now();
    if (entry.deadline === 0) entry.deadline = entry.sentAt + this.settings.deadlineMs;
    this.waiting.set(id, entry);
    return this.turn.publish(entry.lane.subject, entry.data, entry.headers, this.inbox + id).catch((error: unknown) => {
      this.fail(entry.lane, `the NATS client refused the publish: ${describe(error)}`);
      throw error;
    });
  }

  private onReply(msg: Msg): void {
    const id = Number(msg.subject.slice(this.inbox.length));
    const entry = this.waiting.get(id);
    if (!entry) return; // an attempt already given up on (its resend is acknowledged instead)
    this.waiting.delete(id);
    // No responders (no stream leader, nothing subscribed): a status message, no body.
    if (msg.headers?.hasError) return this.retry(entry, `JetStream did not answer (${msg.headers.code})`);
    // A PubAck is `{"stream":…,"seq":…}`; a refusal `{"error":{"code":…,"description":…}}`.
    if (msg.data.length > 2 && msg.data[2] === 0x65 /* e */) {
      const text = decoder.decode(msg.data);
      const refusal = parseRefusal(text);
      if (refusal.code === 503) return this.retry(entry, `JetStream unavailable: ${refusal.description}`);
      return this.fail(entry.lane, `JetStream refused the event: ${refusal.description}`);
    }
    if (id > this.lastAckedId) this.lastAckedId = id;
    this.lastAckAt = performance.now();
    const lane = entry.lane;
    const at = lane.unacked[0] === entry ? 0 : lane.unacked.indexOf(entry);
    if (at >= 0) lane.unacked.splice(at, 1);
    lane.retries = 0;
    if (lane.unacked.length === 0 && !lane.resend) this.lanes.delete(lane.subject);
  }

  /** Sends every unacknowledged event of the entry's subject again, in order, after a backoff (or fails it). */
  private retry(entry: Entry<T>, reason: string): void {
    const lane = entry.lane;
    if (lane.resend || this.lanes.get(lane.subject) !== lane) return; // a resend is already due, or it failed
    const oldest = lane.unacked[0];
    if (!oldest) return;
    if (performance.now() >= oldest.deadline) {
      const seconds = Math.round(this.settings.deadlineMs / 1000);
      return this.fail(lane, `not stored by JetStream within ${seconds} s (${reason})`);
    }
    for (const e of lane.unacked) this.waiting.delete(e.id);
    const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** lane.retries++);
    lane.resend = setTimeout(
      () => {
        lane.resend = undefined;
        for (const e of lane.unacked) {
          if (e.id !== 0) this.resent++;
          void this.send(e).catch(() => undefined);
        }
      },
      backoff * (0.75 + Math.random() / 2),
    );
  }

  private fail(lane: Lane<T>, reason: string): void {
    if (this.lanes.get(lane.subject) !== lane) return;
    clearTimeout(lane.resend);
    this.lanes.delete(lane.subject);
    for (const e of lane.unacked) this.waiting.delete(e.id);
    this.failed.set(lane.subject, { reason, at: performance.now() });
    const firstLost = lane.unacked[0];
    if (firstLost) this.settings.onSubjectFailed(lane.subject, reason, firstLost.meta);
  }

  /**
   * Retries the attempts whose ack is late or that a later ack overtook; forgets old failures.
   *
   * While no ack at all has come for STALL_MS, only the oldest waiting attempt's subject is sent again, one per
   * sweep, as a probe: once JetStream stores it, its ack overtakes every attempt sent before it, and those that
   * were lost (published during an election) go again by the overtaken rule; those merely slow are acknowledged
   * first and go nowhere. Sending every waiting attempt again on a stall turned a busy server's slowness into
   * more work for it: 5,000 streams started at once by one bridge (bench/bridge) sent 27,701–34,055 events
   * twice (of ~34,000), each a publish and an ack on the bridge and a store attempt on nats-server.
   */
  private readonly sweep = (): void => {
    const now = performance.now();
    let probe = now - this.lastAckAt > STALL_MS;
    // `waiting` is in send order (ids and send times grow): stop at the first attempt neither overtaken nor late.
    for (const [id, entry] of this.waiting) {
      const age = now - entry.sentAt;
      const overtaken = id < this.lastAckedId && age > OVERTAKEN_GRACE_MS;
      const late = age >= this.settings.ackTimeoutMs;
      const probed = !overtaken && !late && probe && age >= STALL_MS;
      if (!overtaken && !late && !probed) break;
      if (probed) probe = false;
      this.waiting.delete(id);
      this.retry(
        entry,
        overtaken
          ? 'a later event was acknowledged first'
          : late
            ? `no acknowledgement within ${this.settings.ackTimeoutMs} ms`
            : `no acknowledgement at all for ${STALL_MS} ms`,
      );
    }
    for (const [subject, f] of this.failed) {
      if (now - f.at < FAILED_MEMORY_MS) break;
      this.failed.delete(subject);
    }
  };
}

function parseRefusal(text: string): { code: number; description: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; description?: unknown } };
    const description = parsed.error?.description;
    return { code: Number(parsed.error?.code ?? 0), description: typeof description === 'string' ? description : text };
  } catch {
    return { code: 0, description: text.slice(0, 200) };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
