/**
 * Store conformance suite, run against every adapter (in-memory directly; Redis against a private
 * redis-server on a free port).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId, type ChatMessage } from '@locallightchat/protocol';
import { branchCases } from './conformance-branches.js';
import { listSearchConformance } from './conformance-list-search.js';
import { QuotaExceededError, storedBytes, type Store } from './store.js';
import type { UserQuotas } from './user-quotas.js';
import { uploadQuotaCases } from './conformance-uploads.js';

export interface StoreHarness {
  /** A new store connection; two connections of one harness see the same data (like two relay nodes). */
  connect(): Promise<Store>;
  /**
   * A store with these quotas and this bound of messages per conversation (the rest default); it need not share
   * data with the others.
   */
  connectWithQuotas(quotas: Partial<UserQuotas> & { maxMessagesPerConversation?: number }): Promise<Store>;
  teardown(): Promise<void>;
}

/** A user message with a fresh id (overrides on top). */
export function message(overrides: Partial<ChatMessage> = {}): ChatMessage {
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

    it('tells the owner without claiming', async () => {
      const conv = newId('c_');
      assert.equal(await nodeA.ownerOf(conv), undefined);
      assert.equal(await nodeB.ownerOf(conv), undefined, 'a read does not claim');
      await nodeA.claimConversation(conv, 'alice');
      assert.equal(await nodeB.ownerOf(conv), 'alice');
    });

    it('refuses claims past the per-user conversation quota, and takes nothing from anyone', async () => {
      const store = await harness.connectWithQuotas({ maxConversationsPerUser: 3 });
      const alice = newId('u_');
      const owned = [newId('c_'), newId('c_'), newId('c_')];
      for (const conv of owned) assert.equal(await store.claimConversation(conv, alice), alice);
      await assert.rejects(
        store.claimConversation(newId('c_'), alice),
        (e: unknown) => e instanceof QuotaExceededError && e.quota === 'conversations',
      );
      // Her own conversations stay hers; another user is not affected and cannot take hers.
      assert.equal(await store.claimConversation(owned[0]!, alice), alice);
      const bob = newId('u_');
      assert.equal(await store.claimConversation(newId('c_'), bob), bob);
      for (const conv of owned) assert.equal(await store.claimConversation(conv, bob), alice);
    });

    it('refuses user messages past the byte and message quotas, counts answers, and frees room on delete', async () => {
      const first = message({ text: 'a'.repeat(1000) });
      const store = await harness.connectWithQuotas({
        maxBytesPerUser: storedBytes(first) + 400,
        maxMessagesPerUser: 3,
      });
      const conv = newId('c_');
      await store.claimConversation(conv, newId('u_'));
      assert.equal((await store.appendMessage(conv, first)).inserted, true);
      const tooBig = message({ text: 'b'.repeat(600) });
      await assert.rejects(
        store.appendMessage(conv, tooBig),
        (e: unknown) => e instanceof QuotaExceededError && e.quota === 'bytes',
      );
      // A retry of a stored message is not a new message.
      assert.equal((await store.appendMessage(conv, first)).inserted, false);
      // An answer is always kept (it was paid for), and counts.
      const answer = message({ role: 'assistant', text: 'c'.repeat(600) });
      assert.equal((await store.appendMessage(conv, answer)).inserted, true);
      await assert.rejects(
        store.appendMessage(conv, message({ text: 'd' })),
        (e: unknown) => e instanceof QuotaExceededError && e.quota === 'bytes',
      );
      await assert.rejects(
        store.appendMessage(conv, message({ role: 'tool', text: 'd' })),
        (e: unknown) => e instanceof QuotaExceededError && e.quota === 'bytes',
        'tool results a client sends count like its messages',
      );
      assert.deepEqual(
        (await store.listMessages(conv, { limit: 10 })).messages.map((m) => m.id),
        [first.id, answer.id],
        'nothing refused was stored',
      );
      // Deleting the conversation gives the room back.
      const owner = (await store.ownerOf(conv))!;
      assert.equal(await store.deleteConversation(conv, owner), true);
      const next = newId('c_');
      await store.claimConversation(next, owner);
      assert.equal((await store.appendMessage(next, message({ text: 'e' }))).inserted, true);
      assert.equal((await store.appendMessage(next, message({ text: 'f' }))).inserted, true);
      assert.equal((await store.appendMessage(next, message({ text: 'g' }))).inserted, true);
      await assert.rejects(
        store.appendMessage(next, message({ text: 'h' })),
        (e: unknown) => e instanceof QuotaExceededError && e.quota === 'messages',
      );
    });

    it('appends a message once, whatever the retries', async () => {
      const conv = newId('c_');
      await nodeA.claimConversation(conv, 'alice');
      const m = message({ clientMessageId: 'cm_1' });
      assert.deepEqual(await nodeA.appendMessage(conv, m), { inserted: true, submitted: false });
      assert.deepEqual(await nodeB.appendMessage(conv, { ...m, text: 'changed' }), {
        inserted: false,
        submitted: false,
      });
      await nodeA.markSubmitted(conv, m.id);
      assert.deepEqual(await nodeB.appendMessage(conv, m), { inserted: false, submitted: true });
      const page = await nodeB.listMessages(conv, { limit: 10 });
      assert.deepEqual(page.messages, [m]);
    });

    it('keeps every field of a message', async () => {
      const conv = newId('c_');
      await nodeA.claimConversation(conv, 'alice');
      const m = message({
        role: 'assistant',
        streamId: 's_1',
        finishReason: 'length',
        reasoning: 'because',
        text: 'a\nb',
      });
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
      assert.deepEqual(
        p1.messages.map((m) => m.text),
        all.slice(15).map((m) => m.text),
      );
      assert.equal(p1.cursor, all[15]!.id);
      const p2 = await nodeB.listMessages(conv, { limit: 10, before: p1.cursor });
      assert.deepEqual(
        p2.messages.map((m) => m.text),
        all.slice(5, 15).map((m) => m.text),
      );
      const p3 = await nodeB.listMessages(conv, { limit: 10, before: p2.cursor! });
      assert.deepEqual(
        p3.messages.map((m) => m.text),
        all.slice(0, 5).map((m) => m.text),
      );
      assert.equal(p3.cursor, undefined);
    });

    it('returns an empty page for an unknown conversation', async () => {
      assert.deepEqual(await nodeA.listMessages(newId('c_'), { limit: 5 }), { messages: [] });
    });

    branchCases(() => ({ nodeA, nodeB, harness }));

    listSearchConformance(() => ({ nodeA, nodeB }));

    it("lists a user's own conversations newest activity first, in pages, with titles", async () => {
      const user = newId('u_');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const conv = newId('c_');
        ids.push(conv);
        await nodeA.claimConversation(conv, user);
        await nodeA.appendMessage(conv, message({ text: `q${i}` }));
        await new Promise((r) => setTimeout(r, 5));
      }
      await nodeA.claimConversation(newId('c_'), newId('u_')); // someone else's: never listed
      const first = await nodeB.listConversations(user, { limit: 2 });
      assert.deepEqual(
        first.conversations.map((c) => c.conversationId),
        [ids[4], ids[3]],
      );
      assert.ok(first.cursor);
      const second = await nodeB.listConversations(user, { limit: 2, before: first.cursor });
      assert.deepEqual(
        second.conversations.map((c) => c.conversationId),
        [ids[2], ids[1]],
      );
      const last = await nodeB.listConversations(user, { limit: 2, before: second.cursor });
      assert.deepEqual(
        last.conversations.map((c) => c.conversationId),
        [ids[0]],
      );
      assert.equal(last.cursor, undefined);
      // A message moves a conversation to the top; a rename too; an automatic title never replaces a rename.
      await new Promise((r) => setTimeout(r, 5));
      await nodeB.appendMessage(ids[0]!, message({ text: 'again' }));
      assert.equal(await nodeA.setConversationTitle(ids[1]!, user, 'Auto title', { ifUnset: true }), true);
      assert.equal(await nodeA.setConversationTitle(ids[1]!, user, 'Other auto', { ifUnset: true }), false);
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(await nodeA.setConversationTitle(ids[2]!, user, 'Renamed'), true);
      assert.equal(await nodeB.setConversationTitle(ids[2]!, 'mallory', 'Hijacked'), false);
      const top = await nodeB.listConversations(user, { limit: 10 });
      assert.deepEqual(
        top.conversations.map((c) => [c.conversationId, c.title]),
        [
          [ids[2], 'Renamed'],
          [ids[0], undefined],
          [ids[4], undefined],
          [ids[3], undefined],
          [ids[1], 'Auto title'],
        ],
      );
      for (const c of top.conversations) assert.ok(c.updatedAt >= c.createdAt && c.createdAt > 0);
      assert.deepEqual(await nodeA.listConversations('nobody', { limit: 10 }), { conversations: [] });
    });

    it('deletes a conversation for good, only by its owner, and gives its quota back', async () => {
      const user = newId('u_');
      const conv = newId('c_');
      await nodeA.claimConversation(conv, user);
      const a = message({ text: 'secret question' });
      await nodeA.appendMessage(conv, a);
      await nodeA.appendMessage(conv, message({ text: 'secret answer', role: 'assistant', streamId: 's_x' }));
      await nodeA.saveFeedback({
        conversationId: conv,
        streamId: 's_x',
        messageId: 'a_x',
        userId: user,
        rating: 'down',
        createdAt: 1,
      });
      await nodeA.setConversationTitle(conv, user, 'Secret');
      assert.equal(await nodeB.deleteConversation(conv, 'mallory'), false);
      assert.equal((await nodeA.listMessages(conv, { limit: 10 })).messages.length, 2);
      assert.equal(await nodeB.deleteConversation(conv, user), true);
      assert.deepEqual(await nodeA.listMessages(conv, { limit: 10 }), { messages: [] });
      assert.deepEqual(await nodeA.listFeedback(conv, user), []);
      assert.equal(await nodeA.ownerOf(conv), undefined);
      assert.deepEqual((await nodeA.listConversations(user, { limit: 10 })).conversations, []);
      assert.equal(await nodeB.deleteConversation(conv, user), false);
      // The id is free again (and the quota slot was given back).
      assert.equal(await nodeB.claimConversation(conv, 'bob'), 'bob');
    });

    it("keeps one rating per answer, the owner's only, and lists them oldest first", async () => {
      const conv = newId('c_');
      await nodeA.claimConversation(conv, 'alice');
      const base = { conversationId: conv, userId: 'alice', createdAt: 1000 };
      const first = { ...base, streamId: 's_1', messageId: 'a_1', rating: 'up' as const };
      assert.equal(await nodeA.saveFeedback(first), true);
      const second = { ...base, streamId: 's_2', messageId: 'a_2', rating: 'down' as const, createdAt: 2000 };
      assert.equal(await nodeB.saveFeedback(second), true);
      // A second rating of the same answer replaces the first (with its comment).
      const changed = { ...first, rating: 'down' as const, comment: 'wrong year', createdAt: 3000 };
      assert.equal(await nodeB.saveFeedback(changed), true);
      assert.deepEqual(await nodeA.listFeedback(conv, 'alice'), [second, changed]);
      // Another user can neither rate nor read; an unclaimed conversation stores nothing.
      assert.equal(await nodeA.saveFeedback({ ...first, userId: 'mallory', comment: 'spam' }), false);
      assert.deepEqual(await nodeB.listFeedback(conv, 'mallory'), []);
      assert.deepEqual(await nodeB.listFeedback(conv, 'alice'), [second, changed]);
      assert.equal(await nodeA.saveFeedback({ ...first, conversationId: newId('c_') }), false);
    });

    it('shares one token budget per user across nodes and refuses what does not fit, with a retry hint', async () => {
      const user = newId('u_');
      const policy = { capacity: 1000, refillPerSecond: 10 };
      const first = await nodeA.reserveTokens(user, 600, policy);
      assert.equal(first.ok, true);
      assert.ok(first.remaining >= 400 && first.remaining <= 401, `remaining ${first.remaining}`);
      const second = await nodeB.reserveTokens(user, 600, policy);
      assert.equal(second.ok, false);
      // ~200 tokens missing at 10/s: about 20 s (a little less if some refill happened meanwhile).
      assert.ok(
        !second.ok &&
          second.retryAfterMs !== undefined &&
          second.retryAfterMs > 15_000 &&
          second.retryAfterMs <= 20_000,
        JSON.stringify(second),
      );
      // Another user's budget is separate.
      assert.equal((await nodeB.reserveTokens(newId('u_'), 600, policy)).ok, true);
    });

    it('refunds unused tokens, never above capacity', async () => {
      const user = newId('u_');
      const policy = { capacity: 1000, refillPerSecond: 1 };
      assert.equal((await nodeA.reserveTokens(user, 900, policy)).ok, true);
      assert.equal((await nodeB.reserveTokens(user, 500, policy)).ok, false);
      await nodeB.refundTokens(user, 800, policy);
      assert.equal((await nodeA.reserveTokens(user, 500, policy)).ok, true);
      await nodeA.refundTokens(user, 10_000, policy);
      const full = await nodeB.reserveTokens(user, 1000, policy);
      assert.equal(full.ok, true);
      assert.ok(full.remaining <= 1, `a refund must not overfill the bucket (remaining ${full.remaining})`);
    });

    it('says when a request can never fit the budget', async () => {
      const result = await nodeA.reserveTokens(newId('u_'), 5000, { capacity: 1000, refillPerSecond: 100 });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.retryAfterMs, undefined);
    });

    it('refills over time', async () => {
      const user = newId('u_');
      const policy = { capacity: 100, refillPerSecond: 1000 };
      assert.equal((await nodeA.reserveTokens(user, 100, policy)).ok, true);
      const denied = await nodeB.reserveTokens(user, 100, policy);
      assert.equal(denied.ok, false);
      await new Promise((r) => setTimeout(r, (!denied.ok && denied.retryAfterMs ? denied.retryAfterMs : 100) + 50));
      assert.equal((await nodeB.reserveTokens(user, 100, policy)).ok, true);
    });

    it('shares rate buckets by key across nodes', async () => {
      const key = `frames:${newId('u_')}`;
      const policy = { capacity: 5, refillPerSecond: 1 };
      for (let i = 0; i < 3; i++) assert.equal((await nodeA.consumeRate(key, 1, policy)).ok, true);
      assert.equal((await nodeB.consumeRate(key, 2, policy)).ok, true);
      const refused = await nodeA.consumeRate(key, 1, policy);
      assert.equal(refused.ok, false);
      assert.ok(!refused.ok && refused.retryAfterMs !== undefined && refused.retryAfterMs <= 1000);
      assert.equal((await nodeB.consumeRate(`frames:${newId('u_')}`, 5, policy)).ok, true, 'keys are separate');
    });

    it('keeps sessions for their TTL and shares them across nodes', async () => {
      const record = { sessionId: newId('sess_'), userId: 'alice', conversations: [newId('c_'), newId('c_')] };
      await nodeA.saveSession(record, 60);
      assert.deepEqual(await nodeB.loadSession(record.sessionId), record);
      await nodeB.saveSession({ ...record, conversations: [] }, 60);
      assert.deepEqual((await nodeA.loadSession(record.sessionId))?.conversations, []);
      assert.equal(await nodeA.loadSession(newId('sess_')), undefined);
    });

    it('forgets a session after its TTL', async () => {
      const record = { sessionId: newId('sess_'), userId: 'bob', conversations: [newId('c_')] };
      await nodeA.saveSession(record, 1);
      assert.ok(await nodeB.loadSession(record.sessionId));
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(await nodeB.loadSession(record.sessionId), undefined);
    });

    uploadQuotaCases(() => ({ nodeA, nodeB }));
  });
}
