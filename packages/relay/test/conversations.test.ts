/**
 * The conversation list over real sockets: an automatic title from the first message, list (own conversations
 * only), rename, and delete — after which nothing of the conversation is left in the Store, the broker's
 * retained events or the relay's streams (a resume finds nothing), and another user could never touch it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';
import { MemoryStore } from '../src/index.js';
import { titleNewConversation } from '../src/internal.js';

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => stack.close());

const user = async (name: string) => ProtocolClient.connect(stack.wsUrl, await stack.token(name));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('relay: conversation list, rename, delete', () => {
  it('titles, lists, renames and deletes for good; another user can do none of it', async () => {
    const name = newId('u');
    const alice = await user(name);
    const conversationId = newId('c_');
    alice.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: '## Plan a **weekend** in Lisbon\nwith kids',
      maxTokens: 30,
    });
    const ack = await alice.next('ack');
    await alice.streamText(ack.streamId);

    const listed = await eventually('the automatic title', async () => {
      const from = alice.frames.length;
      alice.send({ type: 'list-conversations' });
      const page = await alice.next('conversation-list', from);
      return page.conversations[0]?.title ? page : undefined;
    });
    assert.equal(listed.conversations.length, 1);
    assert.equal(listed.conversations[0]!.conversationId, conversationId);
    assert.equal(listed.conversations[0]!.title, 'Plan a weekend in Lisbon');

    let from = alice.frames.length;
    alice.send({ type: 'rename-conversation', conversationId, title: '  Lisbon   trip ' });
    assert.deepEqual(await alice.next('conversation-renamed', from), {
      type: 'conversation-renamed',
      conversationId,
      title: 'Lisbon trip',
    });

    // The title search: case-insensitive, only the user's own; an overlong query is refused with a clear error.
    from = alice.frames.length;
    alice.send({ type: 'list-conversations', query: 'LISBON' });
    const found = await alice.next('conversation-list', from);
    assert.deepEqual(
      found.conversations.map((c) => c.title),
      ['Lisbon trip'],
    );
    from = alice.frames.length;
    alice.send({ type: 'list-conversations', query: 'madrid' });
    assert.deepEqual((await alice.next('conversation-list', from)).conversations, []);
    from = alice.frames.length;
    alice.send({ type: 'list-conversations', query: 'x'.repeat(201) });
    const refused = await alice.next('error', from);
    assert.equal(refused.code, 'bad-frame');
    assert.match(refused.message, /query/);

    const mallory = await user(newId('m'));
    mallory.send({ type: 'list-conversations', query: 'lisbon' });
    assert.deepEqual((await mallory.next('conversation-list')).conversations, []);
    mallory.send({ type: 'list-conversations' });
    assert.deepEqual((await mallory.next('conversation-list', mallory.frames.length)).conversations, []);
    let mfrom = mallory.frames.length;
    mallory.send({ type: 'rename-conversation', conversationId, title: 'mine now' });
    assert.equal((await mallory.next('error', mfrom)).code, 'forbidden');
    mfrom = mallory.frames.length;
    mallory.send({ type: 'delete-conversation', conversationId });
    assert.equal((await mallory.next('error', mfrom)).code, 'forbidden');
    assert.equal((await stack.stack.store.listMessages(conversationId, { limit: 10 })).messages.length, 2);

    from = alice.frames.length;
    alice.send({ type: 'delete-conversation', conversationId });
    assert.deepEqual(await alice.next('conversation-deleted', from), { type: 'conversation-deleted', conversationId });
    const store = stack.stack.store;
    assert.deepEqual(await store.listMessages(conversationId, { limit: 10 }), { messages: [] });
    assert.equal(await store.ownerOf(conversationId), undefined);
    assert.deepEqual((await store.listConversations(name, { limit: 10 })).conversations, []);
    assert.deepEqual(await stack.stack.broker.replay({ conversationId }), []);
    // The relay's own streams are gone too: the answer cannot be resumed from anywhere.
    from = alice.frames.length;
    alice.send({ type: 'resume', conversationId, streamId: ack.streamId, fromSeq: 1 });
    assert.equal((await alice.next('error', from)).code, 'resume-unavailable');
    await alice.close();
    await mallory.close();
  });

  it('an app hook titles conversations; a failing hook leaves them untitled; a rename is never replaced', async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    const log = { error: () => {}, warn: (m: string) => void warnings.push(m), info: () => {}, debug: () => {} };
    const conv = newId('c_');
    await store.claimConversation(conv, 'alice');
    await titleNewConversation(
      { store, log, titleFor: async ({ firstMessage }) => `Model says: ${firstMessage.length} chars` },
      { conversationId: conv, userId: 'alice', firstMessage: 'hello there' },
    );
    assert.equal(
      (await store.listConversations('alice', { limit: 1 })).conversations[0]!.title,
      'Model says: 11 chars',
    );
    const other = newId('c_');
    await store.claimConversation(other, 'alice');
    await titleNewConversation(
      {
        store,
        log,
        titleFor: () => {
          throw new Error('model down');
        },
      },
      { conversationId: other, userId: 'alice', firstMessage: 'x' },
    );
    assert.match(warnings[0] ?? '', /could not title/);
    await store.setConversationTitle(other, 'alice', 'Mine');
    await titleNewConversation(
      { store, log, titleFor: () => 'Auto' },
      { conversationId: other, userId: 'alice', firstMessage: 'x' },
    );
    const titles = (await store.listConversations('alice', { limit: 5 })).conversations.map((c) => c.title);
    assert.deepEqual(titles.sort(), ['Mine', 'Model says: 11 chars']);
    await store.close();
  });
});
