/**
 * Conformance of the conversation list's title search (part of ./conformance.ts, which calls it inside its
 * describe with the suite's two nodes of one store).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import type { Store } from './store.js';

export function listSearchConformance(nodes: () => { nodeA: Store; nodeB: Store }): void {
  void it('searches titles case-insensitively, in pages whose cursors go on within the matches', async () => {
    const { nodeA, nodeB } = nodes();
    const user = newId('u_');
    const titles = ['Lisbon trip', 'Taxes 2026', 'LISBON hotels', 'lisbon food', undefined, 'Porto, not Lisbon'];
    const ids: string[] = [];
    for (const title of titles) {
      const conv = newId('c_');
      ids.push(conv);
      await nodeA.claimConversation(conv, user);
      if (title) await nodeA.setConversationTitle(conv, user, title);
      await new Promise((r) => setTimeout(r, 5));
    }
    const other = newId('c_');
    await nodeA.claimConversation(other, newId('u_'));
    await nodeA.setConversationTitle(other, 'someone', 'Lisbon too'); // not the owner: never set
    const first = await nodeB.listConversations(user, { limit: 2, query: '  lisBON ' });
    assert.deepEqual(
      first.conversations.map((c) => c.title),
      ['Porto, not Lisbon', 'lisbon food'],
    );
    assert.ok(first.cursor, 'more matches follow');
    const second = await nodeB.listConversations(user, { limit: 2, query: 'lisbon', before: first.cursor });
    assert.deepEqual(
      second.conversations.map((c) => c.title),
      ['LISBON hotels', 'Lisbon trip'],
    );
    assert.equal(second.cursor, undefined, 'the last match ends the list although older conversations exist');
    assert.deepEqual(await nodeA.listConversations(user, { limit: 10, query: 'madrid' }), { conversations: [] });
    // Only spaces filter nothing; untitled conversations never match a query.
    assert.equal((await nodeA.listConversations(user, { limit: 10, query: '   ' })).conversations.length, 6);
    assert.deepEqual(
      (await nodeA.listConversations(user, { limit: 10, query: '2026' })).conversations.map((c) => c.conversationId),
      [ids[1]],
    );
    // A rename is found at once, on the other node too.
    await new Promise((r) => setTimeout(r, 5));
    await nodeB.setConversationTitle(ids[4]!, user, 'Lisbon, day two');
    assert.deepEqual(
      (await nodeA.listConversations(user, { limit: 1, query: 'LISBON' })).conversations.map((c) => c.conversationId),
      [ids[4]],
    );
  });
}
