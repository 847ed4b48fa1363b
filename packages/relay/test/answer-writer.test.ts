/**
 * The answer of a stream this node missed part of is rebuilt from the broker's retained events, and asked for
 * again while the broker cannot give it whole (found by the NATS-cluster chaos scenario: a JetStream leader
 * election held a batch back when the stream ended, the one read came back short, and no node stored the answer).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBroker } from '@locallightchat/broker';
import { MemoryStore } from '@locallightchat/relay';
import { AnswerWriter, StreamRecord, type StreamEvent } from '@locallightchat/relay/internal';

const end: StreamEvent = {
  type: 'stream-end',
  streamId: 's1',
  conversationId: 'c1',
  lastSeq: 2,
  finishReason: 'stop',
};

async function setup() {
  const broker = new MemoryBroker();
  const store = new MemoryStore();
  await store.claimConversation('c1', 'u1');
  await store.appendMessage('c1', { id: 'm1', role: 'user', text: 'Question?', createdAt: 0 });
  await broker.publish('c1', {
    type: 'stream-start',
    streamId: 's1',
    conversationId: 'c1',
    replyTo: 'm1',
    model: 'm',
    createdAt: 1,
  });
  await broker.publish('c1', { type: 'token', streamId: 's1', seq: 1, text: 'Whole ' });
  await broker.publish('c1', { type: 'token', streamId: 's1', seq: 2, text: 'after all.' });
  await broker.publish('c1', end);
  // This node saw only the end: its record cannot give the text.
  const record = new StreamRecord('s1', 1000);
  record.add(end);
  return { broker, store, record };
}

const answers = async (store: MemoryStore) =>
  (await store.listMessages('c1', { limit: 10 })).messages.filter((m) => m.role === 'assistant').map((m) => m.text);

describe('answer writer: an answer rebuilt from the broker', () => {
  it('is asked for again when the broker cannot answer at first, and stored whole', async () => {
    const { broker, store, record } = await setup();
    const replay = broker.replay.bind(broker);
    let reads = 0;
    broker.replay = async (query) => {
      reads++;
      if (reads === 1) throw new Error('JetStream is electing a leader');
      if (reads === 2) return (await replay(query)).filter((e) => !(e.type === 'token' && e.seq === 2)); // held back
      return replay(query);
    };
    const logged: string[] = [];
    const writer = new AnswerWriter(broker, store, (message) => logged.push(message));
    // The writer's pauses do not hold a process open (a relay's sockets do); this test has no sockets.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      await writer.persist('c1', record);
      assert.equal(reads, 3);
      assert.deepEqual(await answers(store), ['Whole after all.']);
      assert.ok(logged.some((m) => m.includes('could not read stream s1 back')));
    } finally {
      clearInterval(keepAlive);
      writer.close();
    }
  });

  it('stops asking when closed, storing nothing it does not hold whole', async () => {
    const { broker, store, record } = await setup();
    broker.replay = () => Promise.resolve([]);
    const writer = new AnswerWriter(broker, store, () => undefined);
    const persisting = writer.persist('c1', record);
    setTimeout(() => writer.close(), 50);
    await persisting; // resolves at once on close instead of after the 31 s of pauses
    assert.deepEqual(await answers(store), []);
  });
});
