/**
 * NatsBroker's replay: the retained events of a conversation or stream from LLC_EVENTS, in seq order per stream.
 *
 * Read again, with backoff:
 * - while JetStream does not answer although the connection is up (a replicated stream electing a leader, for
 *   seconds after a node died), for up to {@link REPLAY_RETRY_MS}, so that a caller that cannot retry by itself
 *   (a relay rebuilding an answer to store it) gets the events once the cluster has recovered; disconnected, or
 *   past the bound, it throws {@link BrokerUnavailableError} (a relay refuses a resume retryably);
 * - while a stream whose start is still retained (so nothing of it expired) has a hole and its newest event is
 *   younger than the publish deadline, for up to {@link HOLE_WAIT_MS}: the missing batch is most likely being
 *   sent again by its bridge (nats-durable-publisher.ts). Answering with the hole would make the relay refuse
 *   the resume for good; past the wait it throws {@link BrokerUnavailableError} instead (asked again later, the
 *   batch is there, or the stream's newest event is older than the deadline and the hole is answered as is).
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { BrokerUnavailableError, type BrokerStatus, type ReplayQuery } from './broker.js';
import { Subjects, decodeEvent, type ConversationEvent } from './messages.js';
import { inSeqOrder, matchesReplay } from './replay-filter.js';
import type { JetStreamNames } from './nats-streams.js';

/** How long a replay is read again while JetStream does not answer (see the module note), ms. */
const REPLAY_RETRY_MS = 20_000;
/** How long it is read again while a live stream has a hole: short, as a relay catches its streams up one by one. */
const HOLE_WAIT_MS = 5000;

/** A live stream's hole that did not fill within {@link HOLE_WAIT_MS}: the caller may ask again. */
class BatchNotStoredYet extends BrokerUnavailableError {}

/** What a replay reads from, and the broker state it depends on. */
export interface ReplaySource {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: JetStreamNames;
  status: () => BrokerStatus;
  publishDeadlineMs: number;
  log: (message: string, error?: unknown) => void;
}

/** Retained events of the query, in seq order per stream (see the module note). */
export async function replayRetained(source: ReplaySource, query: ReplayQuery): Promise<ConversationEvent[]> {
  const start = performance.now();
  const until = start + REPLAY_RETRY_MS;
  let holes = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const read = await readOnce(source, query);
      if (isComplete(read, query, source.publishDeadlineMs)) return read.events;
      // Still a hole: not "expired" (the relay would refuse the resume for good) but not stored yet — retryable.
      if (performance.now() >= start + HOLE_WAIT_MS)
        throw new BatchNotStoredYet('a batch of a running stream is not stored yet; ask again');
      await sleep(Math.min(1000, 100 * 2 ** holes++));
    } catch (error) {
      if (error instanceof BatchNotStoredYet || source.status() !== 'connected' || performance.now() >= until)
        throw error;
      await sleep(Math.min(2000, 250 * 2 ** attempt));
    }
  }
}

/** Events read for a query, with when the newest message was stored and the streams whose start is retained. */
export interface RetainedRead {
  events: ConversationEvent[];
  /** When the newest of the messages read was stored (ms since the epoch). */
  newestMs: number;
  /** Streams whose stream-start is still retained: nothing of them expired (retention drops the oldest first). */
  started: Set<string>;
}

/**
 * Whether a read can be answered as is: no live stream (newest event younger than the publish deadline) has a
 * hole, which would most likely be a batch its bridge is still sending (see the module note).
 */
export function isComplete(read: RetainedRead, query: ReplayQuery, publishDeadlineMs: number): boolean {
  const live = Date.now() - read.newestMs < publishDeadlineMs;
  return !live || !hasHole(read.events, query, read.started);
}

/** One read of the retained events. */
async function readOnce(source: ReplaySource, query: ReplayQuery): Promise<RetainedRead> {
  const filter = query.streamId
    ? Subjects.stream(query.conversationId, query.streamId)
    : Subjects.conversation(query.conversationId);
  let subjects: [string, number][];
  try {
    const info = await source.jsm.streams.info(source.names.events, { subjects_filter: filter });
    subjects = Object.entries(info.state.subjects ?? {}).filter(([, count]) => count > 0);
  } catch (error) {
    throw new BrokerUnavailableError(`could not read retained events: ${describe(error)}`);
  }
  // Each literal subject (the conversation's messages, each of its streams) is read by its own consumer, not the
  // conversation's `llc.conv.<id>.>` by one: nats-server 2.9's file store finds a wildcard filter's messages by
  // scanning the stream, so its cost grew with everything retained (bench/broker/replay-parts.mjs, 82,000 events
  // retained: a wildcard consumer 33 ms, a literal one 7 ms; 500 conversation replays at once, as a relay's seeds
  // after a relay of two died, took 18–28 s). The stream info above names the subjects at no extra cost.
  const read = await Promise.all(subjects.map(([subject, count]) => readSubject(source, subject, count)));
  return eventsOf(
    read.flat().sort((a, b) => a.seq - b.seq),
    query,
    source.log,
  );
}

/** The query's events from its retained messages (in stream order), decoded; malformed ones logged and skipped. */
export function eventsOf(
  messages: readonly RetainedMessage[],
  query: ReplayQuery,
  log: (message: string, error?: unknown) => void,
): RetainedRead {
  const events: ConversationEvent[] = [];
  let newestMs = 0;
  const started = new Set<string>();
  for (const msg of messages) {
    try {
      const event = decodeEvent(msg.data);
      newestMs = Math.max(newestMs, msg.storedMs);
      if (event.type === 'stream-start') started.add(event.streamId);
      if (matchesReplay(event, query)) events.push(event);
    } catch (e) {
      log(`skipped a malformed retained event on ${msg.subject}`, e);
    }
  }
  return { events: inSeqOrder(events), newestMs, started };
}

/** A retained message as read: its place in the stream (the order across subjects), bytes and store time. */
export interface RetainedMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  storedMs: number;
}

/** The retained messages of one literal subject (`expected` of them, as the stream info counted). */
async function readSubject(source: ReplaySource, subject: string, expected: number): Promise<RetainedMessage[]> {
  // Any failure reading them (e.g. the stream has no leader during an election) is the broker being
  // unavailable: the relay refuses the resume retryably and the client asks again.
  let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>;
  try {
    consumer = await source.js.consumers.get(source.names.events, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.All,
    });
  } catch (error) {
    throw new BrokerUnavailableError(`could not read retained events: ${describe(error)}`);
  }
  const out: RetainedMessage[] = [];
  try {
    const messages = await consumer.fetch({ max_messages: expected, expires: 5000 });
    for await (const msg of messages) {
      out.push({
        seq: msg.info.streamSequence,
        subject: msg.subject,
        data: msg.data,
        storedMs: msg.info.timestampNanos / 1e6,
      });
      if (msg.info.pending === 0) break;
    }
  } catch (error) {
    throw new BrokerUnavailableError(`could not read retained events: ${describe(error)}`);
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return out;
}

/**
 * Whether a stream whose start is still retained (so nothing of it expired) has token batches (in seq order)
 * that skip a seq or start after `fromSeq`, or a resume of it from `fromSeq` finds nothing yet (neither that
 * batch nor the end): a batch not stored yet.
 */
function hasHole(events: readonly ConversationEvent[], query: ReplayQuery, started: Set<string>): boolean {
  const fromSeq = query.fromSeq;
  if (query.streamId && started.has(query.streamId) && fromSeq !== undefined && fromSeq > 1 && events.length === 0)
    return true;
  const last = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'token' || !started.has(e.streamId)) continue;
    const first = e.firstSeq ?? e.seq;
    const before = last.get(e.streamId) ?? (fromSeq !== undefined ? Math.max(fromSeq, 1) - 1 : first - 1);
    if (first > before + 1) return true;
    last.set(e.streamId, Math.max(before, e.seq));
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
