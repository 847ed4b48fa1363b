/**
 * The conversation hub when what is around it fails (found by the chaos suite, packages/stack/test/chaos/):
 *
 * - an answer that ends while the store is down is stored when it returns (it was logged and dropped);
 * - a resume whose retained batches start after a hole (the broker's retention dropped the oldest) returns
 *   nothing, so the client gets `resume-unavailable` and reloads the history (it got the batch after the hole).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBroker, type Broker, type ConversationEvent } from '@locallightchat/broker';
import type { ChatMessage } from '@locallightchat/protocol';
import { MemoryStore, RelayMetrics } from '@locallightchat/relay';
import { ConversationHub } from '@locallightchat/relay/internal';

const quiet = () => undefined;

describe('conversation hub: failures around it', () => {
  it('stores an answer that ended while the store was down once the store is back', async () => {
    const broker = new MemoryBroker();
    const store = new MemoryStore();
    let refusals = 2;
    const append = store.appendMessage.bind(store);
    store.appendMessage = async (...args: Parameters<MemoryStore['appendMessage']>) => {
      if (refusals-- > 0) throw new Error('connection refused');
      return append(...args);
    };
    const hub = new ConversationHub(broker, store, new RelayMetrics({ defaultMetrics: false }), {}, quiet);
    try {
      await store.claimConversation('c1', 'u1');
      await append('c1', { id: 'm1', role: 'user', text: 'Question?', createdAt: 0 });
      await hub.join('c1', { deliver: () => undefined });
      const events: ConversationEvent[] = [
        { type: 'stream-start', streamId: 's1', conversationId: 'c1', replyTo: 'm1', model: 'm', createdAt: 1 },
        { type: 'token', streamId: 's1', seq: 1, text: 'Whole ' },
        { type: 'token', streamId: 's1', seq: 2, text: 'answer.' },
        { type: 'stream-end', streamId: 's1', conversationId: 'c1', lastSeq: 2, finishReason: 'stop' },
      ];
      for (const e of events) await broker.publish('c1', e);
      let stored: ChatMessage | undefined;
      for (let i = 0; i < 100 && !stored; i++) {
        await new Promise((r) => setTimeout(r, 100));
        stored = (await store.listMessages('c1', { limit: 10 })).messages.find((m) => m.role === 'assistant');
      }
      assert.equal(stored?.text, 'Whole answer.', 'stored after two refusals (retried 1 s, then 2 s later)');
    } finally {
      await hub.close();
    }
  });

  it('a resume whose retained batches start after a hole returns nothing (resume-unavailable)', async () => {
    // The broker retained only seq 5 and 6 of a stream: 2..4 expired.
    const retained: ConversationEvent[] = [
      { type: 'token', streamId: 's1', seq: 5, text: 'e' },
      { type: 'token', streamId: 's1', seq: 6, text: 'f' },
      { type: 'stream-end', streamId: 's1', conversationId: 'c1', lastSeq: 6, finishReason: 'stop' },
    ];
    const broker = new MemoryBroker();
    const partial: Broker = Object.assign(Object.create(broker) as Broker, {
      replay: async () => retained,
    });
    const hub = new ConversationHub(partial, new MemoryStore(), new RelayMetrics({ defaultMetrics: false }), {}, quiet);
    try {
      assert.deepEqual(await hub.resume('c1', 's1', 2), { events: [], source: 'none' }, 'a hole before seq 5');
      const fromFive = await hub.resume('c1', 's1', 5);
      assert.deepEqual(
        fromFive.events.map((e) => (e.type === 'token' ? e.seq : e.type)),
        [5, 6, 'stream-end'],
        'from the first retained batch on: served',
      );
      assert.equal((await hub.resume('c1', 's1', 7)).source, 'broker', 'past the last batch: no hole');
    } finally {
      await hub.close();
    }
  });
});
