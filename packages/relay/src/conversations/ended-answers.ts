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
 */
import type { Broker } from '@locallightchat/broker';
import type { AnswerWriter } from './answer-writer.js';
import { StreamRecord } from './stream-record.js';

export class EndedAnswers {
  /** Stores under way, by stream id. */
  private readonly running = new Map<string, Promise<void>>();
  /** Streams this node stored (or is retrying to store), with when: forgotten after `rememberMs`. */
  private readonly stored = new Map<string, number>();
  /** Settles under way, by conversation id: concurrent reads of one conversation share one broker read. */
  private readonly settling = new Map<string, Promise<void>>();

  constructor(
    private readonly broker: Broker,
    private readonly writer: AnswerWriter,
    private readonly options: { rememberMs: number; ringBatches: number },
    private readonly log: (message: string, error?: unknown, fields?: Record<string, unknown>) => void,
  ) {}

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
   * (those another node stored are found stored, and inserted once). One broker read per conversation at a time.
   */
  settle(conversationId: string): Promise<void> {
    let settling = this.settling.get(conversationId);
    if (!settling) {
      settling = this.storeRetained(conversationId).finally(() => this.settling.delete(conversationId));
      this.settling.set(conversationId, settling);
    }
    return settling;
  }

  /** Forgets streams stored before `rememberMs` ago (the hub's sweep). */
  sweep(now = Date.now()): void {
    const before = now - this.options.rememberMs;
    for (const [id, at] of this.stored) if (at < before) this.stored.delete(id);
  }

  private async storeRetained(conversationId: string): Promise<void> {
    let retained;
    try {
      retained = await this.broker.replay({ conversationId });
    } catch (error) {
      this.log(`could not read the retained events of ${conversationId}`, error, { conversationId });
      return;
    }
    const records = new Map<string, StreamRecord>();
    for (const event of retained) {
      if (event.type === 'message') continue;
      let record = records.get(event.streamId);
      if (!record) records.set(event.streamId, (record = new StreamRecord(event.streamId, this.options.ringBatches)));
      record.add(event);
    }
    await Promise.all([...records.values()].map((record) => this.store(conversationId, record)));
  }
}
