/**
 * Failures of the parts around the relay, on real servers: NATS and Redis die and come back; a client stops
 * reading. Each gets a clear, retryable error or a resumable close — never a crash, never a silent drop — and
 * the relay heals by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'node:net';
import { NatsBroker } from '@locallightchat/broker';
import { OpenAIBackend } from '@locallightchat/inference-bridge';
import { startSimulator } from '@locallightchat/vllm-sim';
import { CloseCode, newId, type ServerFrame } from '@locallightchat/protocol';
import { startNats, startRedis, type RunningServer } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack } from '@locallightchat/test-support/stack';
import { startEmbeddedStack, type EmbeddedStack } from '@locallightchat/stack';
import { RedisStore } from '@locallightchat/relay';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('relay: NATS and Redis outages', () => {
  let nats: RunningServer;
  let redis: RunningServer;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: EmbeddedStack;

  before(async () => {
    [nats, redis, sim] = await Promise.all([
      startNats(),
      startRedis(),
      startSimulator({ port: 0, host: '127.0.0.1', profile: 'fast' }),
    ]);
    stack = await startEmbeddedStack({
      relay: { host: '127.0.0.1', port: 0 },
      auth: { mode: 'dev' },
      backends: [new OpenAIBackend({ baseURL: sim.url })],
      bridge: { defaultModel: sim.model },
      broker: await NatsBroker.connect({ servers: nats.url, log: () => undefined }),
      store: await RedisStore.connect({ url: redis.url }),
      log: quiet,
    });
  });
  after(async () => {
    await stack?.close();
    await sim?.close();
    await nats?.stop();
    await redis?.stop();
  });

  const ready = async () => (await fetch(`${stack.relay.url}/readyz`)).status === 200;

  async function sendAndWait(c: ProtocolClient, conversationId: string, clientMessageId: string): Promise<ServerFrame> {
    const from = c.frames.length;
    c.send({ type: 'send', clientMessageId, conversationId, text: 'Are you there?', maxTokens: 40 });
    return c.until(
      (f) =>
        f
          .slice(from)
          .find(
            (x) =>
              (x.type === 'ack' && x.clientMessageId === clientMessageId) ||
              (x.type === 'error' && x.ref === clientMessageId),
          ),
      'ack or error',
    );
  }

  it('refuses messages with a retryable error while NATS is down, and delivers the retry once it is back', async () => {
    const c = await ProtocolClient.connect(stack.relay.wsUrl, (await stack.auth.mintDevToken('nats-user')).token);
    const conversationId = newId('c_');
    const warmup = await sendAndWait(c, conversationId, newId('cm_'));
    assert.equal(warmup.type, 'ack');
    await c.streamText(warmup.streamId);

    await nats.kill();
    await waitFor('readyz to report the broker down', async () => !(await ready()));
    const clientMessageId = newId('cm_');
    const refused = await sendAndWait(c, conversationId, clientMessageId);
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'broker-unavailable');
    assert.ok(refused.retryAfterMs! > 0);
    assert.ok(c.isOpen, 'the socket stays open');

    await nats.restart();
    await waitFor('readyz after NATS returns', ready);
    // The client's outbox retries the same message: accepted once, answered once, live over the re-made subscription.
    const retried = await sendAndWait(c, conversationId, clientMessageId);
    assert.equal(retried.type, 'ack');
    const { text } = await c.streamText(retried.streamId);
    assert.ok(text.length > 0);
    await c.close();
  });

  it('refuses messages with a retryable error while Redis is down, keeps streaming state, and heals', async () => {
    const c = await ProtocolClient.connect(stack.relay.wsUrl, (await stack.auth.mintDevToken('redis-user')).token);
    const conversationId = newId('c_');
    await redis.kill();
    await waitFor('readyz to report the store down', async () => !(await ready()));
    const clientMessageId = newId('cm_');
    const refused = await sendAndWait(c, conversationId, clientMessageId);
    assert.equal(refused.type, 'error');
    assert.ok(refused.retryAfterMs! > 0, 'retryable');
    await redis.restart();
    await waitFor('readyz after Redis returns', ready);
    const retried = await sendAndWait(c, conversationId, clientMessageId);
    assert.equal(retried.type, 'ack');
    await c.streamText(retried.streamId);
    await c.close();
  });
});

describe('relay: a client that stops reading', () => {
  it('is closed with the resumable slow-consumer code once its queue passes the hard bound; the relay is unharmed', async () => {
    const stack = await startTestStack({
      relay: { sendHighWaterBytes: 64 * 1024, sendHardLimitBytes: 4 * 1024 * 1024, maxTextChars: 30_000 },
    });
    try {
      const user = 'slow';
      const conversationId = newId('c_');
      // A long history: every history page is ~1.5 MB, more than the kernel buffers of a socket nobody reads.
      const store = stack.stack.store;
      await store.claimConversation(conversationId, user);
      for (let i = 0; i < 50; i++) {
        await store.appendMessage(conversationId, {
          id: `m${i}`,
          role: 'user',
          text: `${i} `.padEnd(30_000, 'x'),
          createdAt: i,
        });
      }
      const slow = await ProtocolClient.connect(stack.wsUrl, await stack.token(user));
      (slow.ws as unknown as { _socket: Socket })._socket.pause();
      for (let i = 0; i < 40; i++) slow.send({ type: 'history', conversationId, limit: 50 });

      // Meanwhile another client is served normally.
      const other = await ProtocolClient.connect(stack.wsUrl, await stack.token('fast'));
      other.send({
        type: 'send',
        clientMessageId: newId('cm_'),
        conversationId: newId('c_'),
        text: 'hi',
        maxTokens: 30,
      });
      const ack = await other.next('ack');
      await other.streamText(ack.streamId);

      const scrape = async () => await (await fetch(`${stack.httpUrl}/metrics`)).text();
      await waitFor('a slow-consumer close', async () =>
        /^llc_relay_slow_consumer_closes_total 1$/m.test(await scrape()),
      );
      assert.match(await scrape(), /^llc_relay_backpressure_events_total [1-9]\d*$/m);
      (slow.ws as unknown as { _socket: Socket })._socket.resume();
      await slow.until(() => slow.closeCode !== undefined, 'close of the slow socket');
      assert.equal(slow.closeCode, CloseCode.SlowConsumer);

      // A tab that reads gets the same history in pages that fit its send bound, and pages on by cursor.
      const reader = await ProtocolClient.connect(stack.wsUrl, await stack.token(user));
      reader.send({ type: 'history', conversationId, limit: 50 });
      const page = await reader.next('history-page');
      assert.ok(page.messages.length > 0 && page.messages.length < 50, `a trimmed page (${page.messages.length})`);
      assert.equal(page.messages.at(-1)!.id, 'm49', 'the newest messages first');
      assert.equal(page.cursor, page.messages[0]!.id);
      const mark = reader.frames.length;
      reader.send({ type: 'history', conversationId, limit: 50, before: page.cursor });
      const older = await reader.next('history-page', mark);
      assert.equal(older.messages.at(-1)!.id, `m${49 - page.messages.length}`, 'the next page continues without a gap');
      assert.ok(reader.isOpen);
      await Promise.all([other.close(), reader.close()]);
    } finally {
      await stack.close();
    }
  });
});
