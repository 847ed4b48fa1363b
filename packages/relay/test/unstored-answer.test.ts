/**
 * An answer that ended while no relay held its conversation (found by relays.chaos, 1 run in 2: the relay that
 * followed it was SIGKILLed between the stream-end and the write, and the tab that then read the history on the
 * other relay saw only its question). Real nats-server (JetStream) and redis-server; two relays in this process,
 * each with its own connections; a bridge played by the test on a third. Relay A follows the answer and closes
 * before its end; the end is published with no relay holding the conversation. Then on relay B:
 * - a history read stores it first and shows it, inserted once however many reads race (and a subscribe beside);
 * - a new message follows it (and the model reads it), instead of branching off the question beside it.
 * And what relay B remembers of its broker reads (settle-memory.ts, found by the review of issue 12: every read
 * replayed the conversation, and an answer rebuilt incomplete was rebuilt again on every read):
 * - two reads with nothing published between them read the broker once; the first read after the end stores it;
 * - an answer whose start the broker no longer holds is read again after a pause, not on every read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NatsBroker, type Broker, type ReplayQuery } from '@locallightchat/broker';
import { newId, type ChatMessage } from '@locallightchat/protocol';
import { Authenticator, RedisStore, startRelay, type Relay } from '@locallightchat/relay';
import { startNats, startRedis, type RunningServer } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const ANSWER = ['It ended ', 'while its relay ', 'was going away.'];
const FIRST_QUESTION = 'Question one?';
/** Answered without its stream-start and first batch, as if the broker's retention had dropped them. */
const LOST_START_QUESTION = 'Question whose answer lost its start?';
/** DEFAULT_HUB_OPTIONS.settleRecheckMs: the first pause before an incomplete answer is read back again. */
const FIRST_RECHECK_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/**
 * A relay on its own NATS and Redis connections; `assistantWrites` counts its store's writes of answers,
 * `replays` its broker reads of retained events.
 */
async function relay(): Promise<{ relay: Relay; assistantWrites: string[]; replays: ReplayQuery[]; broker: Broker }> {
  const store = await RedisStore.connect({ url: redis.url });
  closers.push(() => store.close());
  const assistantWrites: string[] = [];
  const append = store.appendMessage.bind(store);
  store.appendMessage = async (conversationId, message, options) => {
    if (message.role === 'assistant') assistantWrites.push(message.id);
    return append(conversationId, message, options);
  };
  const b = await broker();
  const replays: ReplayQuery[] = [];
  const replay = b.replay.bind(b);
  b.replay = (query) => {
    replays.push(query);
    return replay(query);
  };
  const r = await startRelay({ host: '127.0.0.1', port: 0 }, { broker: b, store, auth, log: quiet });
  closers.push(() => r.close());
  return { relay: r, assistantWrites, replays, broker: b };
}

/**
 * A bridge on its own connection: answers every request with ANSWER, but holds the end of a first question (and of
 * LOST_START_QUESTION, answered without its start and first batch) until `release(streamId)` (held requests are
 * acknowledged: nothing is redelivered). Keeps each request's prompt.
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
      const lostStart = messages.at(-1)?.content === LOST_START_QUESTION;
      if (!lostStart)
        await b.publish(conversationId, {
          type: 'stream-start',
          streamId,
          conversationId,
          replyTo,
          model: 'm',
          createdAt: Date.now(),
        });
      for (const [i, text] of ANSWER.entries())
        if (i > 0 || !lostStart) await b.publish(conversationId, { type: 'token', streamId, seq: i + 1, text });
      const end = () =>
        b.publish(conversationId, {
          type: 'stream-end',
          streamId,
          conversationId,
          lastSeq: ANSWER.length,
          finishReason: 'stop',
        });
      if (messages.at(-1)?.content === FIRST_QUESTION || lostStart) held.set(streamId, end);
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

/** Relay A follows a first answer of `user` to its last batch and closes; its end is held (bridge.release). */
async function answerLeftRunning(user: string, conversationId: string, question = FIRST_QUESTION) {
  const { relay: a } = await relay();
  const onA = await tab(a, user);
  onA.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: question, maxTokens: 20 });
  const ack = await onA.next('ack');
  await onA.until(
    (fs) => fs.some((f) => f.type === 'token' && f.streamId === ack.streamId && f.seq === ANSWER.length),
    'the last batch on relay A',
  );
  await a.close();
  return ack.streamId;
}

/** Relay A follows a first answer of `user` and closes before its end, which is then published. */
async function answerEndedUnstored(user: string, conversationId: string, question = FIRST_QUESTION) {
  const streamId = await answerLeftRunning(user, conversationId, question);
  await bridge.release(streamId);
  return streamId;
}

/** Until `b` has delivered what NATS sent it so far (a round trip on its connection, then its delivery turn). */
async function delivered(b: Broker): Promise<void> {
  await b.flush();
  await new Promise((r) => setImmediate(r));
}

const roles = (messages: ChatMessage[]) => messages.map((m) => [m.role, m.text]);

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

describe('relay: what a relay remembers of its broker reads for answers ended unstored', () => {
  it('reads the broker once for two reads with nothing published between, and stores the answer on the first read after its end', async () => {
    const { relay: b, assistantWrites, replays, broker: brokerOfB } = await relay();
    const user = newId('u');
    const conversationId = newId('c_');
    const streamId = await answerLeftRunning(user, conversationId);

    const onB = await tab(b, user);
    assert.deepEqual(roles(await history(onB, conversationId)), [['user', FIRST_QUESTION]], 'still running');
    assert.equal(replays.length, 1, 'the first read reads the broker');
    assert.deepEqual(roles(await history(onB, conversationId)), [['user', FIRST_QUESTION]]);
    assert.equal(replays.length, 1, `nothing was published since: not again (${JSON.stringify(replays)})`);

    await bridge.release(streamId);
    await delivered(brokerOfB);
    assert.deepEqual(
      roles(await history(onB, conversationId)),
      [
        ['user', FIRST_QUESTION],
        ['assistant', ANSWER.join('')],
      ],
      'the first read after the end stores the answer',
    );
    assert.equal(replays.length, 2);
    assert.equal((await history(onB, conversationId)).length, 2);
    assert.equal(replays.length, 2, 'the page ends with an answer: nothing to settle');
    assert.equal(assistantWrites.length, 1, `written once: ${assistantWrites.join(', ')}`);
  });

  it('reads an answer that comes back incomplete again after a pause, not on every read', async () => {
    const { relay: b, assistantWrites, replays } = await relay();
    const user = newId('u');
    const conversationId = newId('c_');
    await answerEndedUnstored(user, conversationId, LOST_START_QUESTION);

    const onB = await tab(b, user);
    // The pauses run from the end of a settle, after `since`: reads within `pauseMs` of it fall in the pause (on a
    // machine so loaded that they do not, at most one more broker read is allowed).
    const readsWithin = async (pauseMs: number, reads: number, replaysThen: number, what: string) => {
      const since = Date.now();
      for (let i = 0; i < reads; i++)
        assert.deepEqual(roles(await history(onB, conversationId)), [['user', LOST_START_QUESTION]], 'incomplete');
      if (Date.now() - since < pauseMs)
        assert.equal(replays.length, replaysThen, `${what} (${JSON.stringify(replays)})`);
      else assert.ok(replays.length <= replaysThen + 1, `${what}, loaded (${JSON.stringify(replays)})`);
    };
    await readsWithin(FIRST_RECHECK_MS, 3, 1, 'one broker read for three reads');
    await sleep(FIRST_RECHECK_MS + 200);
    await readsWithin(2 * FIRST_RECHECK_MS, 2, 2, 'read again after the first pause, not before the second');
    assert.equal(assistantWrites.length, 0, 'nothing stored: the answer is not whole');
  });
});
