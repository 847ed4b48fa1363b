/**
 * Per-user token budgets end to end: reserve prompt + max_tokens at send, refuse with a retry hint when the
 * budget is exhausted, refund the unused part from the stream's real usage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

let stack: TestStack;
before(async () => {
  // 5,000 tokens, refilling slowly enough that refills cannot explain a second success within the test. The
  // simulator's natural answers are 30–1,500 tokens, so a max_tokens of 3,000 always leaves a refund.
  stack = await startTestStack({ relay: { tokenBudget: { capacity: 5000, refillPerSecond: 0.5 } } });
});
after(async () => stack.close());

describe('relay: token budgets', () => {
  it('refunds unused tokens when a stream ends, so short answers do not drain the budget', async () => {
    const c = await ProtocolClient.connect(stack.wsUrl, await stack.token(newId('u')));
    // Each message reserves ~prompt + 3,000: two would not fit at once, but each answer uses far fewer tokens.
    for (let i = 0; i < 3; i++) {
      const from = c.frames.length;
      // A new conversation each time, so the prompt stays short and only the refund can make room.
      c.send({
        type: 'send',
        clientMessageId: newId('cm_'),
        conversationId: newId('c_'),
        text: `question ${i}`,
        maxTokens: 3000,
      });
      const reply = await c.until(
        (f) => f.slice(from).find((x) => x.type === 'ack' || x.type === 'error'),
        'ack or error',
      );
      assert.equal(reply.type, 'ack', `message ${i} was accepted (${JSON.stringify(reply)})`);
      const ack = reply;
      const { end } = await c.streamText(ack.streamId);
      assert.equal(end.finishReason, 'stop', 'a natural end before max_tokens');
      await new Promise((r) => setTimeout(r, 50)); // the refund is written after the stream-end is delivered
    }
    await c.close();
  });

  it('refuses a message that does not fit with rate-limited and a retry hint, and keeps it for the retry', async () => {
    const c = await ProtocolClient.connect(stack.wsUrl, await stack.token(newId('u')));
    const conversationId = newId('c_');
    const first = newId('cm_');
    c.send({ type: 'send', clientMessageId: first, conversationId, text: 'a long one please', maxTokens: 3000 });
    const ack = await c.next('ack');
    // While the first answer runs, its 3,000 + prompt tokens are reserved: a second large request cannot fit.
    const from = c.frames.length;
    const second = newId('cm_');
    const otherConversation = newId('c_');
    c.send({
      type: 'send',
      clientMessageId: second,
      conversationId: otherConversation,
      text: 'and another',
      maxTokens: 2500,
    });
    const refusal = await c.next('error', from);
    assert.equal(refusal.code, 'rate-limited');
    assert.equal(refusal.ref, second);
    assert.ok(refusal.retryAfterMs !== undefined && refusal.retryAfterMs > 0, 'a retry hint');
    await c.streamText(ack.streamId);
    await new Promise((r) => setTimeout(r, 50));
    // After the refund, the same client message id goes through (the outbox retry).
    const again = c.frames.length;
    c.send({
      type: 'send',
      clientMessageId: second,
      conversationId: otherConversation,
      text: 'and another',
      maxTokens: 2500,
    });
    const ack2 = await c.next('ack', again);
    assert.equal(ack2.clientMessageId, second);
    await c.streamText(ack2.streamId);
    await c.close();
  });

  it('explains when a request can never fit', async () => {
    const c = await ProtocolClient.connect(stack.wsUrl, await stack.token(newId('u')));
    c.send({ type: 'send', clientMessageId: newId('cm_'), conversationId: newId('c_'), text: 'hi', maxTokens: 6000 });
    const refusal = await c.next('error');
    assert.equal(refusal.code, 'rate-limited');
    assert.equal(refusal.retryAfterMs, undefined);
    assert.match(refusal.message, /budget holds at most 5000/);
    await c.close();
  });
});
