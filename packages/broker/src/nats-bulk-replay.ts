/**
 * Whole-conversation replays read together: when many conversations wait to be read at once (a relay opening
 * those of a relay that died), one consumer walks the retained events once and hands each its own, instead of
 * one read each.
 *
 * Why: nats-server's file store finds a filter's messages by walking the stream from the filter's first message
 * to its last (`fileStore.LoadNextMsg`), so a read costs what lies between a conversation's first and last retained
 * event, whatever it holds of other conversations. Answers that stream at the same time interleave, so each
 * conversation's events are spread over most of the stream. bench/broker/replay-parts.mjs, 5,000 conversations
 * × 41 events filled all at once (205,000 retained): one conversation's replay 25.8 ms of nats-server CPU against
 * 2.95 ms when filled 200 at a time; in the 10,000-client resume storm nats-server spent 77 % of its CPU in that
 * walk (bench/idle/run-resume-storm.mjs --nats-profile). The walk for many is one consumer on every conversation
 * (`llc.conv.>`), each message kept only if its conversation is asked for: nats-server delivers the whole stream
 * once, and the relay drops what it did not ask for by the subject alone. (A consumer filtered on just the asked
 * conversations, nats-server 2.10's `filter_subjects`, was slower still: 498 of them at once delivered 15,000 of
 * their 20,418 events in 20 s, matching each step against every subject of the block.) Below
 * {@link MIN_PER_READ} waiting, each conversation is read alone, as before: a walk of the whole stream would cost
 * more than their own reads.
 *
 * A conversation whose events arrive with a hole in a live stream (a batch its bridge is still sending), and
 * every conversation of a walk that failed, is read again alone by the single replay path (nats-replay.ts), which
 * waits for holes and JetStream elections; so a conversation's answer is what that path would give.
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { ReplayQuery } from './broker.js';
import { Subjects, conversationOfSubject, type ConversationEvent } from './messages.js';
import { describe, eventsOf, isComplete, type ReplaySource, type RetainedMessage } from './nats-replay.js';

/** Conversations waiting below which each is read alone (see the module note). */
const MIN_PER_READ = 32;
/** Conversations served by one walk at most: bounds what a walk holds in memory (~40 events each, ~150 bytes). */
const MAX_PER_READ = 5000;
/** Walks in flight at once: each delivers the whole stream, so one; the next takes what waited meanwhile. */
const MAX_READS = 1;
/** How long one read may take to deliver what it counted before it is given up (and its conversations read alone). */
const READ_TIMEOUT_MS = 20_000;

interface Waiting {
  conversationId: string;
  resolve: (events: ConversationEvent[]) => void;
  reject: (error: unknown) => void;
}

/** See the module note. One per NatsBroker. */
export class BulkReplayer {
  private queue: Waiting[] = [];
  private reading = 0;

  /**
   * @param readAlone the single replay path, for the conversations a read cannot answer as is.
   */
  constructor(
    private readonly source: ReplaySource,
    private readonly readAlone: (query: ReplayQuery) => Promise<ConversationEvent[]>,
  ) {}

  /** The retained events of a whole conversation, in seq order per stream (as `replayRetained` gives them). */
  replayConversation(conversationId: string): Promise<ConversationEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ conversationId, resolve, reject });
      this.pump();
    });
  }

  /** Starts reads while there is room: each takes whatever waits then (a storm's requests gather meanwhile). */
  private pump(): void {
    while (this.reading < MAX_READS && this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_PER_READ);
      this.queue = this.queue.slice(batch.length);
      this.reading++;
      void this.read(batch).finally(() => {
        this.reading--;
        this.pump();
      });
    }
  }

  private async read(batch: Waiting[]): Promise<void> {
    const ids = new Set(batch.map((w) => w.conversationId));
    if (ids.size < MIN_PER_READ) {
      // Waited for nothing: a few conversations are read alone (concurrently, through the broker's gate).
      for (const w of batch) this.readAlone({ conversationId: w.conversationId }).then(w.resolve, w.reject);
      return;
    }
    let byConversation: Map<string, RetainedMessage[]>;
    try {
      byConversation = await this.readMany(ids);
    } catch (error) {
      this.source.log(`a bulk replay of ${ids.size} conversations failed (read one by one): ${describe(error)}`);
      for (const w of batch) this.readAlone({ conversationId: w.conversationId }).then(w.resolve, w.reject);
      return;
    }
    for (const w of batch) {
      const query = { conversationId: w.conversationId };
      const read = eventsOf(byConversation.get(w.conversationId) ?? [], query, this.source.log);
      if (isComplete(read, query, this.source.publishDeadlineMs)) w.resolve(read.events);
      else this.readAlone(query).then(w.resolve, w.reject);
    }
  }

  /** Every retained message of the conversations, by conversation, in stream order; one walk of the stream. */
  private async readMany(ids: ReadonlySet<string>): Promise<Map<string, RetainedMessage[]>> {
    const { js, jsm, names } = this.source;
    const info = await jsm.consumers.add(names.events, {
      filter_subject: Subjects.allConversations,
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      // Left behind by a relay that died mid-read, the server removes it by itself.
      inactive_threshold: 30_000 * 1_000_000,
    });
    const out = new Map<string, RetainedMessage[]>();
    try {
      // What was retained when the consumer was made: events published since come after it, live.
      let remaining = info.num_pending;
      const consumer = await js.consumers.get(names.events, info.name);
      const deadline = Date.now() + READ_TIMEOUT_MS;
      while (remaining > 0) {
        if (Date.now() > deadline) throw new Error(`${remaining} retained events not delivered in time`);
        const messages = await consumer.fetch({ max_messages: remaining, expires: 5000 });
        for await (const msg of messages) {
          remaining--;
          const id = conversationOfSubject(msg.subject);
          if (ids.has(id)) {
            let list = out.get(id);
            if (!list) out.set(id, (list = []));
            list.push({
              seq: msg.info.streamSequence,
              subject: msg.subject,
              data: msg.data,
              storedMs: msg.info.timestampNanos / 1e6,
            });
          }
          if (remaining === 0) break;
        }
      }
    } finally {
      await jsm.consumers.delete(names.events, info.name).catch(() => undefined);
    }
    return out;
  }
}
