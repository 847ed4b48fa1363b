/**
 * A bridge that dies after the first token (found by the chaos suite: the answer waited forever). Nothing is
 * retried after the first token (BRIDGE.md), so the relay ends a stream silent for `streamStallTimeoutMs` with
 * `stream-failed`, through the broker: the tab sees a clear end and the interrupted answer is stored with it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryBroker } from '@locallightchat/broker';
import { newId } from '@locallightchat/protocol';
import { Authenticator, MemoryStore, startRelay, type Relay } from '@locallightchat/relay';
import { ProtocolClient } from '@locallightchat/test-support/client';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

describe('a stream whose bridge died after the first token', () => {
  let relay: Relay | undefined;
  after(async () => {
    await relay?.close();
  });

  it('is ended with stream-failed after the stall timeout, and stored with that reason', async () => {
    const broker = new MemoryBroker();
    const auth = await Authenticator.create({ mode: 'dev' });
    relay = await startRelay(
      { host: '127.0.0.1', port: 0, streamStallTimeoutMs: 1000 },
      { broker, store: new MemoryStore(), auth, log: quiet },
    );
    // A bridge that publishes the start and one batch, acknowledges the request, and dies.
    broker.consume(
      async (delivery) => {
        const { streamId, conversationId, replyTo } = delivery.request;
        await broker.publish(conversationId, {
          type: 'stream-start',
          streamId,
          conversationId,
          replyTo,
          model: 'm',
          createdAt: Date.now(),
        });
        await broker.publish(conversationId, { type: 'token', streamId, seq: 1, text: 'Half an ' });
        await delivery.ack();
      },
      { maxInFlight: 1 },
    );
    const client = await ProtocolClient.connect(relay.wsUrl, (await auth.mintDevToken('stalled')).token);
    const conversationId = newId('c_');
    client.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'Hi', maxTokens: 20 });
    const ack = await client.next('ack');
    const { text, end } = await client.streamText(ack.streamId, 20_000);
    assert.equal(text, 'Half an ');
    assert.equal(end.finishReason, 'error');
    assert.equal(end.errorCode, 'stream-failed');
    assert.equal(end.errorMessage, 'The answer was interrupted before it was complete.');

    let stored;
    for (let i = 0; i < 50 && !stored; i++) {
      const from = client.frames.length;
      client.send({ type: 'history', conversationId, limit: 10 });
      stored = (await client.next('history-page', from)).messages.find((m) => m.role === 'assistant');
      if (!stored) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(stored?.text, 'Half an ');
    assert.equal(stored?.errorCode, 'stream-failed');
    await client.close();
  });
});
