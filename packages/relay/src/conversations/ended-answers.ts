/**
 * Stores the answers of ended streams for a relay node, each once per node: whichever path asks — a stream-end
 * passing through the hub, the retained events of a conversation opened here (seed), or a read of a conversation
 * no node holds open (`settle`) — a stream being stored is not stored again alongside, and one stored within
 * `rememberMs` is not stored again (the store would keep one message anyway: the id derives from the stream;
 * this saves the writes and the broker reads of a rebuild).
 *
 * `settle` closes a gap found by the chaos suite (relays.chaos, 1 run in 2): an answer that ended just before its
 * relay was SIGKILLed was stored by nobody, and a tab that then read the history on the other relay saw only its
 * question — only a node that opened (subscribed to) the conversation stored it. A read now stores it first.
 * What a settle found is remembered (settle-memory.ts): a read finds the conversation unchanged since a settle
 * that left nothing to store without reading the broker.
 */
import type { Broker } from '@locallightchat/broker';
import type { AnswerWriter } from './answer-writer.js';
import { SettleMemory, type SettleCheck, type SettleMemoryOptions } from './settle-memory.js';
import { StreamRecord } from './stream-record.js';

export class EndedAnswers {
  /** Stores under way, by stream id. */
  private readonly running = new Map<string, Promise<void>>();
  /** Streams this node stored (or is retrying to store, or found stored), with when: forgotten after `rememberMs`. */
  private readonly stored = new Map<string, number>();
  /** Settles under way, by conversation id: concurrent reads of one conversation share one broker read. */
  private readonly settling = new Map<string, Promise<void>>();
  /** What the last settle of a conversation found, while nothing was published in it since. */
  private readonly memory: SettleMemory;

  constructor(
    private readonly broker: Broker,
    private readonly writer: AnswerWriter,
    private readonly options: { rememberMs: number; memory: SettleMemoryOptions },
    private readonly log: (message: string, error?: unknown, fields?: Record<string, unknown>) => void,
  ) {
    this.memory = new SettleMemory(broker, options.memory);
  }

  /** Stores the answer of `record` when it ended, unless this node stored it or is storing it. */
  store(conversationId: string, record: StreamRecord | undefined): Promise<void> {
    if (!record?.end) return Promise.resolve();
    const { streamId } = record;
    if (this.stored.has(streamId)) return Promise.resolve();
    let running = this.running.get(streamId);
    if (!running) {
      running = this.writer
        .persist(conversationId, record)
        .then((handled) => {
          if (handled) this.stored.set(streamId, Date.now());
        })
        .catch((error: unknown) => this.log(`could not store the answer of ${streamId}`, error, { conversationId }))
        .finally(() => this.running.delete(streamId));
      this.running.set(streamId, running);
    }
    return running;
  }

  /** Waits for the stores under way of these streams. */
  async pending(streamIds: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const id of streamIds) {
      const running = this.running.get(id);
      if (running) waits.push(running);
    }
    await Promise.all(waits);
  }

  /**
   * For a conversation this node does not hold open: stores the answers of its retained streams that ended
   * (those another node stored are found stored, and inserted once). One broker read per conversation at a time,
   * none while the last one still holds (settle-memory.ts).
   */
  settle(conversationId: string): Promise<void> {
    let settling = this.settling.get(conversationId);
    if (!settling) {
      if (this.memory.trusted(conversationId)) return Promise.resolve();
      settling = this.storeRetained(conversationId).finally(() => this.settling.delete(conversationId));
      this.settling.set(conversationId, settling);
    }
    return settling;
  }

  /** Forgets what the last settle of a conversation found (it opened here: the hub follows it; or was deleted). */
  forgetSettled(conversationId: string): void {
    this.memory.forget(conversationId);
  }

  /** Trusts no settle any more (the broker connection was lost: events published meanwhile were missed). */
  distrustSettled(): void {
    this.memory.distrustAll();
  }

  /** Forgets streams stored before `rememberMs` ago, and settles of conversations not read since (the hub's sweep). */
  sweep(now = Date.now()): void {
    const before = now - this.options.rememberMs;
    for (const [id, at] of this.stored) if (at < before) this.stored.delete(id);
    this.memory.sweep(now);
  }

  close(): void {
    this.memory.close();
  }

  private async storeRetained(conversationId: string): Promise<void> {
    let check: SettleCheck | undefined;
    let retained;
    try {
      check = await this.memory.begin(conversationId);
      retained = await this.broker.replay({ conversationId });
    } catch (error) {
      if (check) this.memory.end(check, 'incomplete');
      this.log(`could not read the retained events of ${conversationId}`, error, { conversationId });
      return;
    }
    const records = new Map<string, StreamRecord>();
    for (const event of retained) {
      if (event.type === 'message') continue;
      let record = records.get(event.streamId);
      // Not bounded to the ring: a transient copy of what the replay returned, whole, so that an answer longer
      // than the ring is not taken for one that lost its start.
      if (!record) records.set(event.streamId, (record = new StreamRecord(event.streamId, Number.MAX_SAFE_INTEGER)));
      record.add(event);
    }
    const outcomes = await Promise.all([...records.values()].map((record) => this.settleOne(conversationId, record)));
    this.memory.end(check, outcomes.includes('incomplete') ? 'incomplete' : 'settled');
  }

  /** Stores a retained stream's answer when it ended whole; `incomplete` when it ended cut and is not stored. */
  private async settleOne(conversationId: string, record: StreamRecord): Promise<'settled' | 'incomplete'> {
    // Still running: its end will be an event, which the settle's watch sees.
    if (!record.end || this.stored.has(record.streamId)) return 'settled';
    if (record.holdsAll()) {
      await this.store(conversationId, record);
      return this.stored.has(record.streamId) ? 'settled' : 'incomplete';
    }
    // Its start is no longer retained (mostly an answer stored long ago: retention drops the oldest first), or a
    // batch is not stored yet. The replay just read was its rebuild: not rebuilt again here (the writer's rebuild
    // reads it back 6 times over 31 s, on every read of the conversation); read again after a pause, or at once
    // after an event of the conversation (a late batch is one).
    try {
      if (await this.writer.isStored(conversationId, record.streamId)) {
        this.stored.set(record.streamId, Date.now());
        return 'settled';
      }
    } catch (error) {
      this.log(`could not look for the answer of ${record.streamId}`, error, { conversationId });
    }
    return 'incomplete';
  }
}
