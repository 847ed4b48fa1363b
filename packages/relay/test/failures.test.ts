/**
 * A failed answer as users see it, live and after a reload: the same user-safe reason both times (issue 12).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => stack.close());

/** What a user may read: no backend address, port, socket error code, or promise of a control. */
const INTERNAL = /\d+\.\d+\.\d+\.\d+|localhost|:\d{2,5}\b|UND_ERR|ECONN|regenerate/i;

describe('a failed answer', () => {
  it('keeps its user-safe reason with the stored answer, so a reload shows what the user saw live', async () => {
    const faults = await fetch(`${stack.simUrl.replace(/\/v1$/, '')}/sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ failNext: 1, failAfterTokens: 3 }),
    });
    assert.equal(faults.status, 200);
    const token = await stack.token(newId('u'));
    const live = await ProtocolClient.connect(stack.wsUrl, token);
    const conversationId = newId('c_');
    live.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'Tell me a story', maxTokens: 200 });
    const ack = await live.next('ack');
    const { end } = await live.streamText(ack.streamId);
    assert.equal(end.finishReason, 'error');
    assert.ok(end.errorMessage, 'the live end says why');
    assert.doesNotMatch(end.errorMessage, INTERNAL);
    await live.close();

    // Another browser (a new connection) loads the history.
    const reload = await ProtocolClient.connect(stack.wsUrl, token);
    let stored;
    for (let attempt = 0; attempt < 50 && !stored; attempt++) {
      const from = reload.frames.length;
      reload.send({ type: 'history', conversationId, limit: 10 });
      const page = await reload.next('history-page', from);
      stored = page.messages.find((m) => m.role === 'assistant');
      if (!stored) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(stored, 'the failed answer was stored');
    assert.equal(stored.finishReason, 'error');
    assert.equal(stored.errorCode, end.errorCode);
    assert.equal(stored.errorMessage, end.errorMessage);
    await reload.close();
  });
});
