/**
 * Store conformance suite, run against every adapter (in-memory directly; Redis against a private
 * redis-server on a free port).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId, type ChatMessage } from '@locallightchat/protocol';
import type { Store } from './store.js';

export interface StoreHarness {
  /** A new store connection; two connections of one harness see the same data (like two relay nodes). */
  connect(): Promise<Store>;
  teardown(): Promise<void>;
}

function message(overrides: Partial<ChatMessage> = {}): ChatMessage {
  return { id: newId('m_'), role: 'user', text: 'hello', createdAt: Date.now(), ...overrides };
}

export function runStoreConformance(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Store conformance: ${name}`, () => {
    let harness: StoreHarness;
    let nodeA: Store;
    let nodeB: Store;

    before(async () => {
      harness = await makeHarness();
      nodeA = await harness.connect();
      nodeB = await harness.connect();
    });
    after(async () => harness.teardown());

    it('gives a conversation to its first claimant, on every node', async () => {
      const conv = newId('c_');
      assert.equal(await nodeA.claimConversation(conv, 'alice'), 'alice');
      assert.equal(await nodeB.claimConversation(conv, 'mallory'), 'alice');
      assert.equal(await nodeB.claimConversation(conv, 'alice'), 'alice');
    });

    it('appends a message once, whatever the retries', async () => {
      const conv = newId('c_');
      await nodeA.claimConversation(conv, 'alice');
      const m = message({ clientMessageId: 'cm_1' });
      assert.deepEqual(await nodeA.appendMessage(conv, m), { inserted: true, submitted: false });
      assert.deepEqual(await nodeB.appendMessage(conv, { ...m, text: 'changed' }), { inserted: false, submitted: false });
      await nodeA.markSubmitted(conv, m.id);
      assert.deepEqual(await nodeB.appendMessage(conv, m), { inserted: false, submitted: true });
      const page = await nodeB.listMessages(conv, { limit: 10 });
      assert.deepEqual(page.messages, [m]);
    });

    it('keeps every field of a message', async () => {
      const conv = newId('c_');
      await nodeA.claimConversation(conv, 'alice');
      const m = message({ role: 'assistant', streamId: 's_1', finishReason: 'length', reasoning: 'because', text: 'a\nb' });
      await nodeA.appendMessage(conv, m);
      assert.deepEqual((await nodeB.listMessages(conv, { limit: 1 })).messages, [m]);
    });

    it('pages history newest-first in pages that read oldest-first', async () => {
      const conv = newId('c_');
      await nodeA.claimConversation(conv, 'alice');
      const all: ChatMessage[] = [];
      for (let i = 0; i < 25; i++) {
        const m = message({ text: `#${i}`, createdAt: 1000 + i });
        all.push(m);
        await nodeA.appendMessage(conv, m);
      }
      const p1 = await nodeB.listMessages(conv, { limit: 10 });
      assert.deepEqual(p1.messages.map((m) => m.text), all.slice(15).map((m) => m.text));
      assert.equal(p1.cursor, all[15]!.id);
      const p2 = await nodeB.listMessages(conv, { limit: 10, before: p1.cursor! });
      assert.deepEqual(p2.messages.map((m) => m.text), all.slice(5, 15).map((m) => m.text));
      const p3 = await nodeB.listMessages(conv, { limit: 10, before: p2.cursor! });
      assert.deepEqual(p3.messages.map((m) => m.text), all.slice(0, 5).map((m) => m.text));
      assert.equal(p3.cursor, undefined);
    });

    it('returns an empty page for an unknown conversation', async () => {
      assert.deepEqual(await nodeA.listMessages(newId('c_'), { limit: 5 }), { messages: [] });
    });

    it('truncates history from a message on (edit and regenerate)', async () => {
      const conv = newId('c_');
      await nodeA.claimConversation(conv, 'alice');
      const ms = [message({ text: 'q1' }), message({ text: 'a1', role: 'assistant' }), message({ text: 'q2' }), message({ text: 'a2', role: 'assistant' })];
      for (const m of ms) await nodeA.appendMessage(conv, m);
      assert.equal(await nodeB.truncateFrom(conv, ms[2]!.id), 2);
      assert.deepEqual((await nodeA.listMessages(conv, { limit: 10 })).messages.map((m) => m.text), ['q1', 'a1']);
      assert.equal(await nodeB.truncateFrom(conv, 'm_unknown'), 0);
      // A truncated message id may be appended again (the rewritten message).
      assert.equal((await nodeA.appendMessage(conv, ms[2]!)).inserted, true);
    });
  });
}
