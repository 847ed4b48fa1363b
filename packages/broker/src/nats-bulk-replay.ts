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
 * 2.95 ms when filled 200 at a time; in the 10,000-client resume storm nats-server spent 77 % of its CPU looking
 * for filters' next messages (bench/idle/run-resume-storm.mjs --nats-profile). The walk for many is one consumer on every conversation
 * (`llc.conv.>`), each message kept only if its conversation is asked for: nats-server delivers the whole stream
 * once, and the relay drops what it did not ask for by the subject alone. (A consumer filtered on just the asked
 * conversations, nats-server 2.10's `filter_subjects`, was slower still: 498 of them at once delivered 15,000 of
 * their 20,418 events in 20 s, matching each step against every subject of the block.) Below
 * {@link MIN_PER_WALK} waiting, or while the stream is too long for them ({@link WALK_MESSAGES_PER_CONVERSATION}),
 * each conversation is read alone, as before: a walk of the whole stream would cost more than their own reads.
 *
 * A conversation whose events arrive with a hole in a live stream (a batch its bridge is still sending), and
 * every conversation of a walk that failed, is read again alone by the single replay path (nats-replay.ts), which
 * waits for holes and JetStream elections; so a conversation's answer is what that path would give.
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { ReplayQuery } from './broker.js';
import { Subjects, conversationOfSubject, type ConversationEvent } from './messages.js';
import { describe, eventsOf, isComplete, type ReplaySource, type RetainedMessage } from './nats-replay.js';

/** How long the first of several requests waits for the others: a storm's arrive in bursts over a few turns. */
const GATHER_MS = 5;
/** Conversations waiting below which each is read alone. */
const MIN_PER_WALK = 32;
/**
 * A walk is taken only while the stream holds at most this many messages per conversation it serves: a walk
 * costs ~4-5 µs per message delivered (nats-server 2.1 µs, measured with replay-parts.mjs, and the relay's parse),
 * so at most ~5 ms per conversation, what one read alone costs over ~40,000 interleaved messages (~125 ns each).
 * With the default 15 minutes of retention a busy stream holds far more: then only a storm of many thousands walks.
 */
const WALK_MESSAGES_PER_CONVERSATION = 1000;
/** Conversations served by one walk at most: bounds what a walk holds in memory (~40 events each, ~150 bytes). */
const MAX_PER_WALK = 5000;
/**
 * Messages asked for per fetch of a walk: the client reads what the server sends as fast as it comes, so one
 * fetch of a whole long stream would sit in the relay's memory at once; this many (~1.5 MB of token batches) do.
 */
const WALK_FETCH = 10_000;
/** A walk delivering nothing for this long is given up (and its conversations read alone), ms. */
const WALK_STALL_MS = 5000;

interface Waiting {
  conversationId: string;
  resolve: (events: ConversationEvent[]) => void;
  reject: (error: unknown) => void;
}

/** See the module note. One per NatsBroker. */
export class BulkReplayer {
  private queue: Waiting[] = [];
  /** A batch is being looked at or walked: requests arriving meanwhile wait for the next. */
  private busy = false;
  private gathering?: ReturnType<typeof setTimeout>;

  /**
   * @param readAlone the single replay path, for the conversations a walk cannot answer as is.
   */
  constructor(
    private readonly source: ReplaySource,
    private readonly readAlone: (query: ReplayQuery) => Promise<ConversationEvent[]>,
  ) {}

  /** The retained events of a whole conversation, in seq order per stream (as `replayRetained` gives them). */
  replayConversation(conversationId: string): Promise<ConversationEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ conversationId, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.gathering || this.queue.length === 0) return;
    this.gathering = setTimeout(() => {
      this.gathering = undefined;
      void this.flush();
    }, GATHER_MS);
  }

  /** Serves what waits: by one walk when worth it, else each alone (concurrently, through the broker's gate). */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_PER_WALK);
    this.busy = true;
    try {
      const ids = new Set(batch.map((w) => w.conversationId));
      if (await this.worthAWalk(ids.size)) await this.walk(batch, ids);
      else for (const w of batch) this.alone(w);
    } finally {
      this.busy = false;
      this.schedule();
    }
  }

  private async worthAWalk(conversations: number): Promise<boolean> {
    if (conversations < MIN_PER_WALK) return false;
    try {
      const info = await this.source.jsm.streams.info(this.source.names.events);
      return info.state.messages <= conversations * WALK_MESSAGES_PER_CONVERSATION;
    } catch {
      return false;
    }
  }

  private alone(w: Waiting): void {
    this.readAlone({ conversationId: w.conversationId }).then(w.resolve, w.reject);
  }

  private async walk(batch: Waiting[], ids: ReadonlySet<string>): Promise<void> {
    let byConversation: Map<string, RetainedMessage[]>;
    try {
      byConversation = await this.readMany(ids);
    } catch (error) {
      this.source.log(`a walk for ${ids.size} conversations failed (each read alone): ${describe(error)}`);
      for (const w of batch) this.alone(w);
      return;
    }
    for (const w of batch) {
      const query = { conversationId: w.conversationId };
      const read = eventsOf(byConversation.get(w.conversationId) ?? [], query, this.source.log);
      if (isComplete(read, query, this.source.publishDeadlineMs)) w.resolve(read.events);
      else this.alone(w);
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
      while (remaining > 0) {
        const before = remaining;
        const messages = await consumer.fetch({
          max_messages: Math.min(remaining, WALK_FETCH),
          expires: WALK_STALL_MS,
        });
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
        }
        // Nothing came for a whole fetch: the server is not answering, or retention dropped what was counted.
        if (remaining === before) throw new Error(`${remaining} retained events not delivered`);
      }
    } finally {
      await jsm.consumers.delete(names.events, info.name).catch(() => undefined);
    }
    return out;
  }
}
