/**
 * A deleted conversation is let go by the relay (issue 12's soak: the relay's heap grew 110 → 170 MiB in an
 * hour because every conversation a long-lived socket created and deleted stayed joined — its hub entry, broker
 * subscription and place in the socket's session — until the socket closed). After N conversations created,
 * answered and deleted on one socket, the hub holds none of them and the socket follows none: a socket may ask
 * in more fresh conversations than `maxConversationsPerConnection` as long as it deletes them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const MAX_PER_CONNECTION = 3;
const ROUNDS = 2 * MAX_PER_CONNECTION;

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ relay: { maxConversationsPerConnection: MAX_PER_CONNECTION } });
});
after(async () => stack.close());

const openConversations = async () =>
  (await stack.stack.relay.metrics.conversationsOpen.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('relay: deleted conversations', () => {
  it('lets each go: the hub and the socket are back to none after N created, answered, deleted', async () => {
    const alice = await ProtocolClient.connect(stack.wsUrl, await stack.token(newId('u')));
    try {
      const baseline = await openConversations();
      for (let round = 1; round <= ROUNDS; round++) {
        const conversationId = newId('c_');
        let from = alice.frames.length;
        alice.send({
          type: 'send',
          clientMessageId: newId('cm_'),
          conversationId,
          text: `Round ${round}`,
          maxTokens: 8,
        });
        // Before the fix, round MAX_PER_CONNECTION + 1 was refused: the deleted ones still counted as followed.
        const reply = await alice.until(
          (frames) => frames.slice(from).find((f) => f.type === 'ack' || f.type === 'error'),
          `the ack of round ${round}`,
        );
        if (reply.type !== 'ack') assert.fail(`round ${round} refused: ${JSON.stringify(reply)}`);
        await alice.streamText(reply.streamId);
        assert.equal(await openConversations(), baseline + 1, 'open while the socket follows it');
        from = alice.frames.length;
        alice.send({ type: 'delete-conversation', conversationId });
        await alice.next('conversation-deleted', from);
        assert.equal(await openConversations(), baseline, `round ${round}: the deleted conversation is let go`);
      }
    } finally {
      await alice.close();
    }
  });

  it("tells every socket following it, the deleting one once, and the other device's socket is let go too", async () => {
    const user = newId('u');
    const phone = await ProtocolClient.connect(stack.wsUrl, await stack.token(user));
    const laptop = await ProtocolClient.connect(stack.wsUrl, await stack.token(user));
    try {
      const baseline = await openConversations();
      const conversationId = newId('c_');
      phone.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'Hello', maxTokens: 8 });
      const ack = await phone.next('ack');
      await phone.streamText(ack.streamId);
      // The laptop follows the same conversation.
      let from = laptop.frames.length;
      laptop.send({ type: 'subscribe', conversationId });
      await laptop.next('subscribed', from);
      from = laptop.frames.length;
      const phoneFrom = phone.frames.length;
      phone.send({ type: 'delete-conversation', conversationId });
      await phone.next('conversation-deleted', phoneFrom);
      await laptop.next('conversation-deleted', from);
      assert.equal(await openConversations(), baseline, 'let go on this node');
      // Nothing more for the phone: one conversation-deleted, not one per role (deleter and follower).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const deleted = phone.frames.slice(phoneFrom).filter((f) => f.type === 'conversation-deleted');
      assert.equal(deleted.length, 1, 'the deleting socket is told once');
    } finally {
      await phone.close();
      await laptop.close();
    }
  });
});
