/**
 * Branches over a real socket: an edit (`replaceFrom`) adds a sibling instead of deleting history; the model
 * reads only the branch the message is on; `select-branch` switches (owner only) and the history follows; a
 * message written on a branch (`afterStream`) lands there even when another branch is shown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationRequest } from '@locallightchat/broker';
import { newId, type ChatMessage } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

describe('relay: branches', () => {
  let stack: TestStack;
  /** Every generation request the relay hands to the broker (the bridge's input), observed on the real broker. */
  const requests: GenerationRequest[] = [];
  before(async () => {
    stack = await startTestStack();
    const broker = stack.stack.broker;
    const submit = broker.submit.bind(broker);
    broker.submit = (request) => {
      requests.push(request);
      return submit(request);
    };
  });
  after(() => stack.close());

  async function ask(
    client: ProtocolClient,
    conversationId: string,
    text: string,
    extra: { replaceFrom?: string; afterStream?: string } = {},
  ) {
    const from = client.frames.length;
    client.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text, maxTokens: 8, ...extra });
    const ack = await client.next('ack', from);
    await client.streamText(ack.streamId);
    // The answer is stored at its end: wait until the store has it.
    const answerId = `a${ack.streamId.slice(1)}`;
    for (let i = 0; i < 200 && (await stack.stack.store.messagesTo(conversationId, answerId, 1)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    return { ack, answerId };
  }

  async function history(client: ProtocolClient, conversationId: string): Promise<ChatMessage[]> {
    const from = client.frames.length;
    client.send({ type: 'history', conversationId });
    return (await client.next('history-page', from)).messages;
  }

  it('edits into a new branch, keeps the old one, and gives the model only the branch', async () => {
    const alice = await ProtocolClient.connect(stack.wsUrl, await stack.token('alice'));
    const conversationId = newId('c_');
    const one = await ask(alice, conversationId, 'First question');
    const two = await ask(alice, conversationId, 'Second question');
    const edit = await ask(alice, conversationId, 'Second question, edited', { replaceFrom: two.ack.messageId });

    const prompt = requests.find((r) => r.streamId === edit.ack.streamId)!;
    const users = prompt.messages.filter((m) => m.role === 'user').map((m) => m.content);
    assert.deepEqual(users, ['First question', 'Second question, edited'], 'the old version is not in the prompt');

    let page = await history(alice, conversationId);
    assert.deepEqual(
      page.map((m) => m.id),
      [one.ack.messageId, one.answerId, edit.ack.messageId, edit.answerId],
    );
    assert.deepEqual(page[2]!.siblings, [two.ack.messageId, edit.ack.messageId]);
    assert.equal(page[2]!.parentId, one.answerId);

    // Switch back: the old version and its answer are all there.
    const from = alice.frames.length;
    alice.send({ type: 'select-branch', conversationId, messageId: two.ack.messageId });
    assert.deepEqual(await alice.next('branch-selected', from), {
      type: 'branch-selected',
      conversationId,
      messageId: two.ack.messageId,
    });
    page = await history(alice, conversationId);
    assert.deepEqual(
      page.map((m) => m.id),
      [one.ack.messageId, one.answerId, two.ack.messageId, two.answerId],
    );

    // A message written on the edited branch (after its answer) lands there though the old branch is shown.
    const three = await ask(alice, conversationId, 'Third, on the edit', { afterStream: edit.ack.streamId });
    const context = requests.find((r) => r.streamId === three.ack.streamId)!;
    assert.deepEqual(
      context.messages.filter((m) => m.role === 'user').map((m) => m.content),
      ['First question', 'Second question, edited', 'Third, on the edit'],
    );
    page = await history(alice, conversationId);
    assert.deepEqual(
      page.map((m) => m.id).slice(2),
      [edit.ack.messageId, edit.answerId, three.ack.messageId, three.answerId],
      'the branch it was written on is shown',
    );
    await alice.close();
  });

  it('refuses branches of conversations one does not own, and unknown messages', async () => {
    const alice = await ProtocolClient.connect(stack.wsUrl, await stack.token('alice'));
    const conversationId = newId('c_');
    const one = await ask(alice, conversationId, 'Mine');
    const mallory = await ProtocolClient.connect(stack.wsUrl, await stack.token('mallory'));
    mallory.send({ type: 'select-branch', conversationId, messageId: one.ack.messageId });
    const refused = await mallory.next('error');
    assert.equal(refused.code, 'forbidden');
    mallory.send({ type: 'send', clientMessageId: 'cm_m', conversationId, text: 'x', replaceFrom: one.ack.messageId });
    assert.equal(
      (await mallory.until((f) => f.filter((x) => x.type === 'error')[1], 'second error')).code,
      'forbidden',
    );

    alice.send({ type: 'select-branch', conversationId, messageId: 'm_unknown' });
    const unknown = await alice.next('error');
    assert.deepEqual([unknown.code, unknown.ref], ['not-found', 'm_unknown']);
    const from = alice.frames.length;
    alice.send({ type: 'send', clientMessageId: 'cm_bad', conversationId, text: 'x', replaceFrom: 'm_unknown' });
    const bad = await alice.next('error', from);
    assert.deepEqual([bad.code, bad.ref], ['not-found', 'cm_bad']);
    // Nothing was deleted or added by any of it.
    assert.deepEqual(
      (await history(alice, conversationId)).map((m) => m.id),
      [one.ack.messageId, one.answerId],
    );
    await Promise.all([alice.close(), mallory.close()]);
  });
});
