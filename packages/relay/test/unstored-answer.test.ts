/**
 * An answer that ended while no relay held its conversation (found by relays.chaos, 1 run in 2: the relay that
 * followed it was SIGKILLed between the stream-end and the write, and the tab that then read the history on the
 * other relay saw only its question). Real nats-server (JetStream) and redis-server; two relays in this process,
 * each with its own connections; a bridge played by the test on a third. Relay A follows the answer and closes
 * before its end; the end is published with no relay holding the conversation. Then on relay B:
 * - a history read stores it first and shows it, inserted once however many reads race (and a subscribe beside);
 * - a new message follows it (and the model reads it), instead of branching off the question beside it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NatsBroker, type Broker } from '@locallightchat/broker';
import { newId, type ChatMessage } from '@locallightchat/protocol';
import { Authenticator, RedisStore, startRelay, type Relay } from '@locallightchat/relay';
import { startNats, startRedis, type RunningServer } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const ANSWER = ['It ended ', 'while its relay ', 'was going away.'];
const FIRST_QUESTION = 'Question one?';

let nats: RunningServer;
let redis: RunningServer;
let auth: Authenticator;
let bridge: Awaited<ReturnType<typeof startBridge>>;
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  auth = await Authenticator.create({ mode: 'dev' });
  bridge = await startBridge();
});
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await Promise.all([nats?.stop(), redis?.stop()]);
});

async function broker(): Promise<NatsBroker> {
  const b = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  closers.push(() => b.close());
  return b;
}

/** A relay on its own NATS and Redis connections; `assistantWrites` counts its store's writes of answers. */
async function relay(): Promise<{ relay: Relay; assistantWrites: string[] }> {
  const store = await RedisStore.connect({ url: redis.url });
  closers.push(() => store.close());
  const assistantWrites: string[] = [];
  const append = store.appendMessage.bind(store);
  store.appendMessage = async (conversationId, message, options) => {
    if (message.role === 'assistant') assistantWrites.push(message.id);
    return append(conversationId, message, options);
  };
  const r = await startRelay({ host: '127.0.0.1', port: 0 }, { broker: await broker(), store, auth, log: quiet });
  closers.push(() => r.close());
  return { relay: r, assistantWrites };
}

/**
 * A bridge on its own connection: answers every request with ANSWER, but holds the end of a first question until
 * `release(streamId)` (held requests are acknowledged: nothing is redelivered). Keeps each request's prompt.
 */
async function startBridge() {
  const b: Broker = await broker();
  const held = new Map<string, () => Promise<void>>();
  const prompts = new Map<string, string[]>();
  const consumer = b.consume(
    async (delivery) => {
      const { streamId, conversationId, replyTo, messages } = delivery.request;
      prompts.set(
        streamId,
        messages.map((m) => `${m.role}: ${m.content}`),
      );
      await b.publish(conversationId, {
        type: 'stream-start',
        streamId,
        conversationId,
        replyTo,
        model: 'm',
        createdAt: Date.now(),
      });
      for (const [i, text] of ANSWER.entries())
        await b.publish(conversationId, { type: 'token', streamId, seq: i + 1, text });
      const end = () =>
        b.publish(conversationId, {
          type: 'stream-end',
          streamId,
          conversationId,
          lastSeq: ANSWER.length,
          finishReason: 'stop',
        });
      if (messages.at(-1)?.content === FIRST_QUESTION) held.set(streamId, end);
      else await end();
      await delivery.ack();
    },
    { maxInFlight: 4 },
  );
  closers.push(() => consumer.stop());
  return { release: (streamId: string) => held.get(streamId)!(), prompts };
}

async function tab(r: Relay, user: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(r.wsUrl, (await auth.mintDevToken(user)).token);
  closers.push(() => client.close());
  return client;
}

/** Relay A follows a first answer of `user` and closes before its end, which is then published. */
async function answerEndedUnstored(user: string, conversationId: string) {
  const { relay: a } = await relay();
  const onA = await tab(a, user);
  onA.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: FIRST_QUESTION, maxTokens: 20 });
  const ack = await onA.next('ack');
  await onA.until(
    (fs) => fs.some((f) => f.type === 'token' && f.streamId === ack.streamId && f.seq === ANSWER.length),
    'the last batch on relay A',
  );
  await a.close();
  await bridge.release(ack.streamId);
  return ack.streamId;
}

async function history(client: ProtocolClient, conversationId: string): Promise<ChatMessage[]> {
  const from = client.frames.length;
  client.send({ type: 'history', conversationId, limit: 50 });
  return (await client.next('history-page', from)).messages;
}

describe('relay: an answer that ended while no relay held its conversation', () => {
  it('is stored by a history read on another relay, once however many reads race', async () => {
    const { relay: b, assistantWrites } = await relay();
    const user = newId('u');
    const conversationId = newId('c_');
    const streamId = await answerEndedUnstored(user, conversationId);

    const onB = await tab(b, user);
    const reads = await Promise.all([1, 2, 3].map(() => history(onB, conversationId)));
    for (const messages of reads)
      assert.deepEqual(
        messages.map((m) => [m.role, m.text]),
        [
          ['user', FIRST_QUESTION],
          ['assistant', ANSWER.join('')],
        ],
        'the first read already shows the answer',
      );
    assert.equal(reads[0]!.at(-1)!.streamId, streamId);
    // Opening the conversation here stores retained ended answers too: not again.
    const from = onB.frames.length;
    onB.send({ type: 'subscribe', conversationId });
    await onB.next('subscribed', from);
    const messages = await history(onB, conversationId);
    assert.equal(messages.filter((m) => m.role === 'assistant').length, 1);
    assert.equal(assistantWrites.length, 1, `written once by relay B: ${assistantWrites.join(', ')}`);
  });

  it('is stored before a new message sent on another relay, which follows it', async () => {
    const { relay: b } = await relay();
    const user = newId('u');
    const conversationId = newId('c_');
    const streamId = await answerEndedUnstored(user, conversationId);

    const onB = await tab(b, user);
    onB.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'Question two?', maxTokens: 20 });
    const ack = await onB.next('ack');
    await onB.streamText(ack.streamId);
    assert.deepEqual(
      bridge.prompts.get(ack.streamId),
      [`user: ${FIRST_QUESTION}`, `assistant: ${ANSWER.join('')}`, 'user: Question two?'],
      'the model read the first answer',
    );
    let messages: ChatMessage[] = [];
    for (let i = 0; i < 50 && messages.length < 4; i++) {
      messages = await history(onB, conversationId);
      if (messages.length < 4) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(
      messages.map((m) => [m.role, m.text]),
      [
        ['user', FIRST_QUESTION],
        ['assistant', ANSWER.join('')],
        ['user', 'Question two?'],
        ['assistant', ANSWER.join('')],
      ],
      'the second question follows the first answer on one branch',
    );
    assert.equal(messages[1]!.streamId, streamId);
  });
});
