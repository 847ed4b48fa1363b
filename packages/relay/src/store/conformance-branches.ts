/**
 * The Store conformance suite's part for the message tree (edits and regenerates kept as branches; see
 * message-tree.ts), run by ./conformance.ts against every adapter: two connections of one store stand for two
 * relay nodes.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { message, type StoreHarness } from './conformance.js';
import type { Store } from './store.js';

/** The cases; `nodes` gives two connections to one store (and its harness) once the suite's `before` ran. */
export function branchCases(nodes: () => { nodeA: Store; nodeB: Store; harness: StoreHarness }): void {
  it('keeps edits and regenerates as branches: the active path, siblings, and the choice on every node', async () => {
    const { nodeA, nodeB } = nodes();
    const conv = newId('c_');
    await nodeA.claimConversation(conv, 'alice');
    const texts = async (store: Store) => (await store.listMessages(conv, { limit: 50 })).messages.map((m) => m.text);
    const q1 = message({ text: 'q1' });
    const a1 = message({ text: 'a1', role: 'assistant' });
    const q2 = message({ text: 'q2' });
    const a2 = message({ text: 'a2', role: 'assistant' });
    await nodeA.appendMessage(conv, q1);
    await nodeA.appendMessage(conv, a1, { parentId: q1.id });
    await nodeA.appendMessage(conv, q2);
    await nodeA.appendMessage(conv, a2, { parentId: q2.id });
    assert.deepEqual(await texts(nodeB), ['q1', 'a1', 'q2', 'a2'], 'a linear conversation is its own path');
    const plain = (await nodeB.listMessages(conv, { limit: 50 })).messages;
    assert.deepEqual(
      plain.map((m) => m.parentId),
      [undefined, q1.id, a1.id, q2.id],
    );
    assert.ok(
      plain.every((m) => m.siblings === undefined),
      'no siblings without branches',
    );

    // Edit q2: a sibling of q2 (same parent), shown from now on; q2 and its answer stay stored.
    const q2b = message({ text: 'q2 edited' });
    await nodeB.appendMessage(conv, q2b, { parentId: a1.id });
    const a2b = message({ text: 'a2b', role: 'assistant' });
    await nodeB.appendMessage(conv, a2b, { parentId: q2b.id });
    assert.deepEqual(await texts(nodeA), ['q1', 'a1', 'q2 edited', 'a2b']);
    const edited = (await nodeA.listMessages(conv, { limit: 50 })).messages[2]!;
    assert.deepEqual(edited.siblings, [q2.id, q2b.id], 'both versions, oldest first');
    assert.equal(edited.parentId, a1.id);

    // A message without a parent follows the active path's last message.
    const q3 = message({ text: 'q3' });
    await nodeA.appendMessage(conv, q3);
    assert.deepEqual(await texts(nodeB), ['q1', 'a1', 'q2 edited', 'a2b', 'q3']);

    // Switch back to the first version: its own continuation is shown; the choice is seen by every node.
    assert.equal(await nodeB.selectBranch(conv, q2.id), true);
    assert.deepEqual(await texts(nodeA), ['q1', 'a1', 'q2', 'a2']);
    assert.equal(await nodeA.selectBranch(conv, q2b.id), true);
    assert.deepEqual(await texts(nodeB), ['q1', 'a1', 'q2 edited', 'a2b', 'q3'], 'each branch keeps its shown child');
    assert.equal(await nodeA.selectBranch(conv, 'm_unknown'), false);
    assert.equal(await nodeA.selectBranch(newId('c_'), q2.id), false, 'only within its conversation');

    // The context of a message is its ancestry, whichever branch is shown.
    await nodeA.selectBranch(conv, q2.id);
    assert.deepEqual(
      (await nodeB.messagesTo(conv, q3.id, 50)).map((m) => m.text),
      ['q1', 'a1', 'q2 edited', 'a2b', 'q3'],
    );
    assert.deepEqual(
      (await nodeB.messagesTo(conv, q3.id, 2)).map((m) => m.text),
      ['a2b', 'q3'],
      'the nearest `limit`',
    );
    assert.deepEqual(await nodeB.messagesTo(conv, 'm_unknown', 50), []);
    // Nothing was deleted: every message is still there, and a retry of an old version stores nothing.
    assert.equal((await nodeA.appendMessage(conv, q2)).inserted, false);

    // An answer on a branch not shown leaves the shown path alone; a message written there (showBranch) shows it.
    const a3 = message({ text: 'a3', role: 'assistant' });
    await nodeB.appendMessage(conv, a3, { parentId: q3.id });
    assert.deepEqual(await texts(nodeA), ['q1', 'a1', 'q2', 'a2']);
    const q4 = message({ text: 'q4' });
    await nodeB.appendMessage(conv, q4, { parentId: a3.id, showBranch: true });
    assert.deepEqual(await texts(nodeA), ['q1', 'a1', 'q2 edited', 'a2b', 'q3', 'a3', 'q4']);
  });

  it('branches at the first message, and pages the active path', async () => {
    const { nodeA, nodeB } = nodes();
    const conv = newId('c_');
    await nodeA.claimConversation(conv, 'alice');
    const first = message({ text: 'first' });
    await nodeA.appendMessage(conv, first);
    const again = message({ text: 'first, again' });
    await nodeA.appendMessage(conv, again, { parentId: null });
    let previous = again.id;
    for (let i = 0; i < 5; i++) {
      const m = message({ text: `m${i}` });
      await nodeA.appendMessage(conv, m, { parentId: previous });
      previous = m.id;
    }
    const page = await nodeB.listMessages(conv, { limit: 3 });
    assert.deepEqual(
      page.messages.map((m) => m.text),
      ['m2', 'm3', 'm4'],
    );
    const older = await nodeB.listMessages(conv, { limit: 10, before: page.cursor! });
    assert.deepEqual(
      older.messages.map((m) => m.text),
      ['first, again', 'm0', 'm1'],
    );
    assert.equal(older.cursor, undefined);
    assert.deepEqual(older.messages[0]!.siblings, [first.id, again.id]);
    assert.equal(older.messages[0]!.parentId, undefined);
    assert.equal(await nodeB.selectBranch(conv, first.id), true);
    assert.deepEqual(
      (await nodeA.listMessages(conv, { limit: 10 })).messages.map((m) => m.text),
      ['first'],
    );
  });

  it('keeps the tree whole when the oldest messages are dropped past the bound', async () => {
    const { harness } = nodes();
    const store = await harness.connectWithQuotas({ maxMessagesPerConversation: 4 });
    const conv = newId('c_');
    await store.claimConversation(conv, 'alice');
    const q1 = message({ text: 'q1' });
    const a1 = message({ text: 'a1', role: 'assistant' });
    const a1b = message({ text: 'a1b', role: 'assistant' });
    await store.appendMessage(conv, q1);
    await store.appendMessage(conv, a1, { parentId: q1.id });
    await store.appendMessage(conv, a1b, { parentId: q1.id });
    await store.selectBranch(conv, a1.id);
    const q2 = message({ text: 'q2' });
    await store.appendMessage(conv, q2);
    // A fifth message drops q1: its children take its place, as siblings of the first level.
    const a2 = message({ text: 'a2', role: 'assistant' });
    await store.appendMessage(conv, a2, { parentId: q2.id });
    const page = (await store.listMessages(conv, { limit: 10 })).messages;
    assert.deepEqual(
      page.map((m) => m.text),
      ['a1', 'q2', 'a2'],
    );
    assert.deepEqual(page[0]!.siblings, [a1.id, a1b.id]);
    assert.equal(await store.selectBranch(conv, a1b.id), true);
    assert.deepEqual(
      (await store.listMessages(conv, { limit: 10 })).messages.map((m) => m.text),
      ['a1b'],
    );
  });
}
