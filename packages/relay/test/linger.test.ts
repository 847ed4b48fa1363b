/**
 * A conversation whose tabs all left (found by the chaos suite's resume-after-away scenario): an answer that ends
 * after its tab left and after the relay's linger is still stored — the node follows a running stream to its end
 * — exactly once when two nodes follow it, and a conversation kept only for that closes once nothing runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBroker, type ConversationEvent } from '@locallightchat/broker';
import { MemoryStore, RelayMetrics } from '@locallightchat/relay';
import { ConversationHub } from '@locallightchat/relay/internal';

const quiet = () => undefined;
const LINGER_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const start: ConversationEvent = {
  type: 'stream-start',
  streamId: 's1',
  conversationId: 'c1',
  replyTo: 'm1',
  model: 'm',
  createdAt: 1,
};

/** A store whose inserts of assistant messages are counted (a second insert of one answer is a double store). */
async function countingStore() {
  const store = new MemoryStore();
  await store.claimConversation('c1', 'u1');
  await store.appendMessage('c1', { id: 'm1', role: 'user', text: 'Question?', createdAt: 0 });
  const inserted: string[] = [];
  const append = store.appendMessage.bind(store);
  store.appendMessage = async (...args: Parameters<MemoryStore['appendMessage']>) => {
    const result = await append(...args);
    if (result.inserted && args[1].role === 'assistant') inserted.push(args[1].id);
    return result;
  };
  return { store, inserted };
}

async function assistantTexts(store: MemoryStore): Promise<string[]> {
  const page = await store.listMessages('c1', { limit: 10 });
  return page.messages.filter((m) => m.role === 'assistant').map((m) => m.text);
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 2000): Promise<void> {
  for (let i = 0; i < ms / 20; i++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('conversation hub: an answer that ends after its tabs left', () => {
  it('is stored when it ends after the linger, and the conversation then closes', async () => {
    const broker = new MemoryBroker();
    const { store, inserted } = await countingStore();
    const hub = new ConversationHub(
      broker,
      store,
      new RelayMetrics({ defaultMetrics: false }),
      { lingerMs: LINGER_MS },
      quiet,
    );
    try {
      const tab = { deliver: () => undefined };
      await hub.join('c1', tab);
      await broker.publish('c1', start);
      await broker.publish('c1', { type: 'token', streamId: 's1', seq: 1, text: 'Read before leaving, ' });
      hub.leave('c1', tab);
      await sleep(LINGER_MS * 4);
      assert.ok(hub.isFollowing('c1'), 'still subscribed past the linger: its stream runs');
      await broker.publish('c1', { type: 'token', streamId: 's1', seq: 2, text: 'ended with nobody there.' });
      await broker.publish('c1', {
        type: 'stream-end',
        streamId: 's1',
        conversationId: 'c1',
        lastSeq: 2,
        finishReason: 'stop',
      });
      await until(async () => (await assistantTexts(store)).length > 0, 'the stored answer');
      assert.deepEqual(await assistantTexts(store), ['Read before leaving, ended with nobody there.']);
      assert.equal(inserted.length, 1);
      assert.equal(hub.isOpen('c1'), false, 'closed once nothing of it runs');
    } finally {
      await hub.close();
    }
  });

  it('is stored once when two nodes follow it', async () => {
    const broker = new MemoryBroker();
    const { store, inserted } = await countingStore();
    const metrics = () => new RelayMetrics({ defaultMetrics: false });
    const hubs = [0, 1].map(() => new ConversationHub(broker, store, metrics(), { lingerMs: LINGER_MS }, quiet));
    try {
      const tabs = hubs.map(() => ({ deliver: () => undefined }));
      for (const [i, hub] of hubs.entries()) await hub.join('c1', tabs[i]!);
      await broker.publish('c1', start);
      await broker.publish('c1', { type: 'token', streamId: 's1', seq: 1, text: 'Both ' });
      for (const [i, hub] of hubs.entries()) hub.leave('c1', tabs[i]!);
      await sleep(LINGER_MS * 4);
      assert.deepEqual(
        hubs.map((h) => h.isFollowing('c1')),
        [true, true],
      );
      await broker.publish('c1', { type: 'token', streamId: 's1', seq: 2, text: 'follow it.' });
      await broker.publish('c1', {
        type: 'stream-end',
        streamId: 's1',
        conversationId: 'c1',
        lastSeq: 2,
        finishReason: 'stop',
      });
      await until(() => hubs.every((h) => !h.isOpen('c1')), 'both nodes to close it');
      await sleep(50); // a second write, if any, lands meanwhile
      assert.deepEqual(await assistantTexts(store), ['Both follow it.']);
      assert.equal(inserted.length, 1, 'inserted once: the second node found it there');
    } finally {
      for (const hub of hubs) await hub.close();
    }
  });

  it('closes after the linger when nothing runs, and stops following a stream silent past its bound', async () => {
    const broker = new MemoryBroker();
    const { store } = await countingStore();
    // Stall ending off for the silent stream: it is followed for twice the default stall timeout, here shortened
    // through a stall timeout of 40 ms (followed for 80 ms of silence, then left to the next node that opens it).
    const hub = new ConversationHub(
      broker,
      store,
      new RelayMetrics({ defaultMetrics: false }),
      { lingerMs: LINGER_MS, stallTimeoutMs: 40 },
      quiet,
    );
    try {
      const tab = { deliver: () => undefined };
      await hub.join('c2', tab);
      hub.leave('c2', tab);
      await sleep(LINGER_MS * 3);
      assert.equal(hub.isOpen('c2'), false, 'nothing ran: closed at the linger');

      await hub.join('c1', tab);
      await broker.publish('c1', start); // a request waiting for a bridge: no token, no stall end
      hub.leave('c1', tab);
      await sleep(LINGER_MS * 2);
      assert.ok(hub.isFollowing('c1'), 'followed while it is young');
      await until(() => !hub.isOpen('c1'), 'the silent stream to be let go (by the 1 s sweep)', 5000);
    } finally {
      await hub.close();
    }
  });
});
