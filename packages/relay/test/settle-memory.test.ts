/**
 * What a relay node remembers of its settles (settle-memory.ts), on the memory broker and store: a read of a
 * conversation no socket here holds open reads the broker back only when something was published in it since,
 * or a pause after an answer that came back incomplete is over; and that memory is bounded. The same on real
 * NATS and Redis, through history reads: unstored-answer.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBroker, type ConversationEvent, type ReplayQuery } from '@locallightchat/broker';
import { MemoryStore, RelayMetrics } from '@locallightchat/relay';
import { ConversationHub } from '@locallightchat/relay/internal';

const quiet = () => undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A memory broker whose replays and live subscriptions are counted. */
function countingBroker() {
  const broker = new MemoryBroker();
  const replays: ReplayQuery[] = [];
  const replay = broker.replay.bind(broker);
  broker.replay = (query) => {
    replays.push(query);
    return replay(query);
  };
  let subscribed = 0;
  const subscribe = broker.subscribe.bind(broker);
  broker.subscribe = (conversationId, listener) => {
    const sub = subscribe(conversationId, listener);
    subscribed++;
    let live = true;
    return {
      unsubscribe: () => {
        if (live) subscribed--;
        live = false;
        sub.unsubscribe();
      },
    };
  };
  return { broker, replays, subscriptions: () => subscribed };
}

/** A store holding user message `m1` of each conversation; answers stored are listed by conversation. */
async function storeWith(...conversationIds: string[]) {
  const store = new MemoryStore();
  for (const id of conversationIds) {
    await store.claimConversation(id, 'u1');
    await store.appendMessage(id, { id: 'm1', role: 'user', text: 'Question?', createdAt: 0 });
  }
  const answers = async (id: string) =>
    (await store.listMessages(id, { limit: 10 })).messages.filter((m) => m.role === 'assistant').map((m) => m.text);
  return { store, answers };
}

const start = (conversationId: string, streamId = 's1'): ConversationEvent => ({
  type: 'stream-start',
  streamId,
  conversationId,
  replyTo: 'm1',
  model: 'm',
  createdAt: 1,
});
const end = (conversationId: string, lastSeq: number, streamId = 's1'): ConversationEvent => ({
  type: 'stream-end',
  streamId,
  conversationId,
  lastSeq,
  finishReason: 'stop',
});

function hub(broker: MemoryBroker, store: MemoryStore, options: ConstructorParameters<typeof ConversationHub>[3]) {
  return new ConversationHub(broker, store, new RelayMetrics({ defaultMetrics: false }), options, quiet);
}

describe('conversation hub: what a settle remembers', () => {
  it('stores an answer made whole by a late batch on the next read, before the pause is over', async () => {
    const { broker, replays } = countingBroker();
    const { store, answers } = await storeWith('c1');
    const h = hub(broker, store, { settleRecheckMs: 60_000 });
    try {
      await broker.publish('c1', start('c1'));
      await broker.publish('c1', { type: 'token', streamId: 's1', seq: 1, text: 'Whole ' });
      await broker.publish('c1', end('c1', 2)); // batch 2 is not stored yet
      await h.storeEnded('c1');
      await h.storeEnded('c1');
      assert.equal(replays.length, 1, 'incomplete: not read again within the pause');
      assert.deepEqual(await answers('c1'), []);

      await broker.publish('c1', { type: 'token', streamId: 's1', seq: 2, text: 'at last.' });
      await sleep(0); // the memory broker delivers in a microtask
      await h.storeEnded('c1');
      assert.equal(replays.length, 2, 'an event of the conversation ends the pause');
      assert.deepEqual(await answers('c1'), ['Whole at last.']);
      assert.equal(
        replays.filter((q) => q.streamId !== undefined).length,
        0,
        'the replay of the conversation was the rebuild',
      );
    } finally {
      await h.close();
    }
  });

  it('takes an answer whose start expired but which is stored for settled', async () => {
    const { broker, replays } = countingBroker();
    const { store } = await storeWith('c1');
    const h = hub(broker, store, { settleRecheckMs: 1 });
    try {
      await store.appendMessage('c1', { id: 'a1', role: 'assistant', text: 'Stored long ago.', createdAt: 1 });
      // What retention left of its stream (idsForSend: answer a1 is stream s1's).
      await broker.publish('c1', { type: 'token', streamId: 's1', seq: 2, text: 'ago.' });
      await broker.publish('c1', end('c1', 2));
      await h.storeEnded('c1');
      await sleep(5); // past a pause, were it incomplete
      await h.storeEnded('c1');
      assert.equal(replays.length, 1);
    } finally {
      await h.close();
    }
  });

  it('is bounded: the least recently read forgotten first, none trusted past settleMemoryMs', async () => {
    const { broker, replays, subscriptions } = countingBroker();
    const { store } = await storeWith('c1', 'c2', 'c3');
    const h = hub(broker, store, { settleMemoryEntries: 2, settleMemoryMs: 1000 });
    try {
      for (const id of ['c1', 'c2', 'c3']) await h.storeEnded(id);
      assert.equal(replays.length, 3);
      assert.equal(subscriptions(), 2, 'one watch per conversation remembered');
      await h.storeEnded('c3');
      await h.storeEnded('c2');
      assert.equal(replays.length, 3, 'c2 and c3 remembered');
      await h.storeEnded('c1');
      assert.equal(replays.length, 4, 'c1 was forgotten for c3');
      assert.equal(subscriptions(), 2);

      h.forget('c1'); // deleted
      await h.storeEnded('c1');
      assert.equal(replays.length, 5, 'a deleted conversation is read anew');

      await sleep(1100);
      await h.storeEnded('c1');
      assert.equal(replays.length, 6, 'not trusted past settleMemoryMs');
    } finally {
      await h.close();
    }
    assert.equal(subscriptions(), 0, 'close ends every watch');
  });
});
