/**
 * ConversationSync over the real units (ConversationStore, StreamTracker, Outbox on a MemoryLocalStore): the seq
 * rule (append, drop duplicates, resume once on a gap), merging history pages with held and cached messages,
 * resends of unacknowledged messages, ended streams announced by `subscribed`, and a store that holds only
 * the conversations it was asked to watch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessage, ClientFrame, SendFrame, ServerFrame } from '@locallightchat/protocol';
import {
  ConversationStore,
  ConversationSync,
  MemoryLocalStore,
  Outbox,
  StreamTracker,
  type ClientMessage,
  type StreamMetrics,
} from '@locallightchat/client/internal';

/** The sync and its units, with what they sent and what they said. */
function harness() {
  const sent: ClientFrame[] = [];
  const changes: string[] = [];
  const ended: { message: ClientMessage; metrics: StreamMetrics }[] = [];
  const local = new MemoryLocalStore();
  const send = (f: ClientFrame) => void sent.push(f);
  const store = new ConversationStore((id) => changes.push(id));
  const outbox = new Outbox(local, send);
  const sync = new ConversationSync(store, new StreamTracker(send), outbox, send, (_c, message, metrics) =>
    ended.push({ message, metrics }),
  );
  /** Lets the outbox's storage promises settle. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  // The old store's API, so each test reads as the behaviour it checks.
  const s = {
    watch: (id: string) => store.watch(id),
    apply: (frame: ServerFrame) => sync.apply(frame),
    snapshot: (id: string) => store.snapshot(id),
    seed: (id: string, messages: ClientMessage[]) => store.seed(id, messages),
    resyncFrames: () => sync.resyncFrames(),
    addOutgoing: (frame: SendFrame) => sync.send(frame),
  };
  return { s, store, sync, outbox, local, sent, changes, ended, settle };
}

const C = 'c1';
const user = (id: string, cm: string, text: string): ChatMessage => ({
  id,
  role: 'user',
  text,
  createdAt: 1,
  clientMessageId: cm,
});
const bot = (id: string, stream: string, text: string): ChatMessage => ({
  id,
  role: 'assistant',
  text,
  createdAt: 2,
  streamId: stream,
  finishReason: 'stop',
});

describe('ConversationSync', () => {
  it('applies the seq rule: appends in order, drops duplicates, resumes once on a gap', () => {
    const { s, sent, ended } = harness();
    s.watch(C);
    s.apply({ type: 'stream-start', streamId: 's1', conversationId: C, replyTo: 'm1', model: 'x', createdAt: 1 });
    s.apply({ type: 'token', streamId: 's1', seq: 1, text: 'a' });
    s.apply({ type: 'token', streamId: 's1', seq: 1, text: 'a' });
    s.apply({ type: 'token', streamId: 's1', seq: 3, text: 'c' });
    s.apply({ type: 'token', streamId: 's1', seq: 4, text: 'd' });
    assert.deepEqual(
      sent,
      [{ type: 'resume', conversationId: C, streamId: 's1', fromSeq: 2 }],
      'one resume for the gap',
    );
    s.apply({ type: 'token', streamId: 's1', seq: 3, firstSeq: 2, text: 'bc' });
    s.apply({ type: 'token', streamId: 's1', seq: 4, text: 'd' });
    s.apply({ type: 'stream-end', streamId: 's1', conversationId: C, lastSeq: 4, finishReason: 'stop' });
    const answer = s.snapshot(C).messages[0]!;
    assert.equal(answer.text, 'abcd');
    assert.equal(answer.status, 'done');
    assert.equal(ended.length, 1, 'one stream-end');
    assert.equal(ended[0]!.metrics.batches, 3, 'batches appended: 1, 2–3 (coalesced), 4');
    assert.equal(sent.length, 1, 'no second resume while the first catches up');
  });

  it('asks again for a resume the relay refused retryably, from the seq held then, once per refusal', async () => {
    const { s, sent } = harness();
    s.watch(C);
    s.apply({ type: 'stream-start', streamId: 's1', conversationId: C, replyTo: 'm1', model: 'x', createdAt: 1 });
    s.apply({ type: 'token', streamId: 's1', seq: 1, text: 'a' });
    s.apply({ type: 'token', streamId: 's1', seq: 3, text: 'c' });
    assert.deepEqual(sent, [{ type: 'resume', conversationId: C, streamId: 's1', fromSeq: 2 }]);
    s.apply({ type: 'error', code: 'broker-unavailable', message: 'busy', ref: 's1', retryAfterMs: 20 });
    s.apply({ type: 'token', streamId: 's1', seq: 4, text: 'd' });
    assert.equal(sent.length, 1, 'not at once, and a gap does not ask while the resume is pending');
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(sent.slice(1), [{ type: 'resume', conversationId: C, streamId: 's1', fromSeq: 2 }]);
    s.apply({ type: 'token', streamId: 's1', seq: 4, firstSeq: 2, text: 'bcd' });
    assert.equal(s.snapshot(C).messages[0]!.text, 'abcd');
    // Caught up: a later refusal of that stream (no resume pending) asks nothing.
    s.apply({ type: 'error', code: 'broker-unavailable', message: 'busy', ref: 's1', retryAfterMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(sent.length, 2);
  });

  it('stores, sends and resends unacknowledged messages after a reconnect, and settles them on ack', async () => {
    const { s, sent, local, settle } = harness();
    s.addOutgoing({ type: 'send', clientMessageId: 'cm1', conversationId: C, text: 'hi' });
    await settle();
    assert.deepEqual(
      sent.map((f) => f.type),
      ['send'],
      'sent once stored',
    );
    assert.deepEqual(
      (await local.outgoing()).map((f) => f.clientMessageId),
      ['cm1'],
    );
    assert.deepEqual(
      s.resyncFrames().map((f) => f.type),
      ['subscribe', 'history', 'send'],
    );
    s.apply({
      type: 'ack',
      clientMessageId: 'cm1',
      conversationId: C,
      messageId: 'm1',
      streamId: 's1',
      duplicate: false,
    });
    await settle();
    assert.deepEqual(await local.outgoing(), [], 'settled: gone from the device');
    assert.ok(!s.resyncFrames().some((f) => f.type === 'send'));
    const [question, answer] = s.snapshot(C).messages;
    assert.deepEqual([question?.status, question?.id, answer?.status], ['done', 'm1', 'queued']);
  });

  it('merges a history page that overlaps held messages in the server order', () => {
    const { s } = harness();
    s.addOutgoing({ type: 'send', clientMessageId: 'cm2', conversationId: C, text: 'second' });
    s.apply({
      type: 'history-page',
      conversationId: C,
      messages: [user('m1', 'cm1', 'first'), bot('a1', 's1', 'one'), user('m2', 'cm2', 'second')],
    });
    assert.deepEqual(
      s.snapshot(C).messages.map((m) => m.text),
      ['first', 'one', 'second'],
    );
    // An older page goes first.
    s.apply({ type: 'history-page', conversationId: C, messages: [user('m0', 'cm0', 'zero')] });
    assert.deepEqual(
      s.snapshot(C).messages.map((m) => m.text),
      ['zero', 'first', 'one', 'second'],
    );
  });

  it('shows cached messages until the first page, which drops those the relay no longer holds', () => {
    const { s } = harness();
    s.watch(C);
    s.seed(C, [
      { key: 'cm1', id: 'm1', role: 'user', text: 'kept', reasoning: '', createdAt: 1, status: 'done', lastSeq: 0 },
      {
        key: 'cmX',
        id: 'mX',
        role: 'user',
        text: 'edited away',
        reasoning: '',
        createdAt: 1,
        status: 'done',
        lastSeq: 0,
      },
    ]);
    assert.ok(s.snapshot(C).messages.every((m) => m.cached));
    s.apply({ type: 'history-page', conversationId: C, messages: [user('m1', 'cm1', 'kept')] });
    assert.deepEqual(
      s.snapshot(C).messages.map((m) => [m.text, m.cached]),
      [['kept', undefined]],
    );
  });

  it('shows an ended stream it never saw only when its question is still in the history', () => {
    const { s, sent } = harness();
    s.watch(C);
    s.apply({
      type: 'subscribed',
      conversationId: C,
      streams: [
        { streamId: 'sKeep', replyTo: 'm1', lastSeq: 5, done: true },
        { streamId: 'sGone', replyTo: 'mOld', lastSeq: 5, done: true },
      ],
    });
    assert.equal(s.snapshot(C).messages.length, 0, 'nothing until the history says');
    s.apply({ type: 'history-page', conversationId: C, messages: [user('m1', 'cm1', 'q')] });
    assert.deepEqual(
      s.snapshot(C).messages.map((m) => m.key),
      ['cm1', 'sKeep'],
    );
    assert.deepEqual(sent, [{ type: 'resume', conversationId: C, streamId: 'sKeep', fromSeq: 1 }]);
  });

  it('holds only the conversations it watches: reading another one neither holds it nor lets its frames in', () => {
    const { s, store, changes } = harness();
    s.watch(C);
    const other = store.snapshot('c2');
    assert.deepEqual(other, { id: 'c2', messages: [], hasMore: false, busy: false, historyLoaded: false });
    assert.equal(store.watches('c2'), false, 'a read does not start watching');
    assert.equal(store.message('c2', 'x'), undefined);
    s.apply({ type: 'history-page', conversationId: 'c2', messages: [user('m9', 'cm9', 'elsewhere')] });
    s.apply({ type: 'stream-start', streamId: 's9', conversationId: 'c2', replyTo: 'm9', model: 'x', createdAt: 1 });
    s.apply({ type: 'token', streamId: 's9', seq: 1, text: 'no' });
    assert.equal(store.watches('c2'), false);
    assert.deepEqual(store.snapshot('c2').messages, []);
    assert.deepEqual(changes, [], 'no change of any conversation');
    assert.deepEqual(
      s.resyncFrames().filter((f) => 'conversationId' in f && f.conversationId === 'c2'),
      [],
      'no subscription to a conversation only read',
    );
  });

  it("re-subscribes with the relay's latest grant for each conversation, and without one before any", () => {
    const { s } = harness();
    s.watch(C);
    s.watch('c2');
    const subscribes = () => s.resyncFrames().filter((f) => f.type === 'subscribe');
    assert.deepEqual(subscribes(), [
      { type: 'subscribe', conversationId: C },
      { type: 'subscribe', conversationId: 'c2' },
    ]);
    s.apply({ type: 'subscribed', conversationId: C, streams: [], grant: 'g1' });
    s.apply({ type: 'subscribed', conversationId: C, streams: [] });
    assert.deepEqual(subscribes()[0], { type: 'subscribe', conversationId: C, grant: 'g1' }, 'kept without a new one');
    s.apply({ type: 'subscribed', conversationId: C, streams: [], grant: 'g2' });
    assert.deepEqual(subscribes(), [
      { type: 'subscribe', conversationId: C, grant: 'g2' },
      { type: 'subscribe', conversationId: 'c2' },
    ]);
  });

  it('finishes an answer with its figures, and waits for missing batches before it ends', () => {
    const { s, sent, ended } = harness();
    s.watch(C);
    s.apply({ type: 'stream-start', streamId: 's1', conversationId: C, replyTo: 'm1', model: 'x', createdAt: 1 });
    s.apply({ type: 'token', streamId: 's1', seq: 1, text: 'a' });
    s.apply({
      type: 'stream-end',
      streamId: 's1',
      conversationId: C,
      lastSeq: 2,
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 2 },
    });
    assert.equal(s.snapshot(C).messages[0]!.status, 'streaming', 'batch 2 is missing: not done yet');
    assert.deepEqual(sent, [{ type: 'resume', conversationId: C, streamId: 's1', fromSeq: 2 }]);
    s.apply({ type: 'token', streamId: 's1', seq: 2, text: 'b' });
    s.apply({
      type: 'stream-end',
      streamId: 's1',
      conversationId: C,
      lastSeq: 2,
      finishReason: 'error',
      errorCode: 'stream-failed',
      errorMessage: 'the backend went away',
      usage: { promptTokens: 3, completionTokens: 2 },
    });
    const answer = s.snapshot(C).messages[0]!;
    assert.deepEqual(
      [answer.text, answer.status, answer.error],
      ['ab', 'error', { code: 'stream-failed', message: 'the backend went away', retryable: true }],
    );
    assert.equal(ended.length, 1);
    const { metrics } = ended[0]!;
    assert.equal(metrics.batches, 2);
    assert.equal(metrics.completionTokens, 2);
    assert.ok(metrics.tpotMs !== undefined && metrics.tpotMs >= 0);
    assert.equal(metrics.ttftMs, undefined, 'no send of ours: no TTFT');
    s.apply({ type: 'stream-end', streamId: 's1', conversationId: C, lastSeq: 2, finishReason: 'stop' });
    assert.equal(ended.length, 1, 'a repeated end is ignored');
  });

  it('fails a message the relay refuses for good, and resends one refused for now after its retry-after', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { s, sent, local, settle } = harness();
    s.addOutgoing({ type: 'send', clientMessageId: 'cm1', conversationId: C, text: 'too long' });
    s.addOutgoing({ type: 'send', clientMessageId: 'cm2', conversationId: C, text: 'later' });
    await settle();
    sent.length = 0;
    s.apply({ type: 'error', code: 'message-too-long', message: 'too long', ref: 'cm1' });
    s.apply({ type: 'error', code: 'rate-limited', message: 'slow down', ref: 'cm2', retryAfterMs: 3000 });
    await settle();
    const [failed, waiting] = s.snapshot(C).messages;
    assert.deepEqual([failed?.status, failed?.error?.retryable], ['error', false]);
    assert.deepEqual([waiting?.status, waiting?.error?.code], ['pending', 'rate-limited']);
    assert.deepEqual(
      (await local.outgoing()).map((f) => f.clientMessageId),
      ['cm2'],
      'the refused one left the outbox',
    );
    t.mock.timers.tick(2999);
    assert.equal(sent.length, 0, 'not before the wait is over');
    t.mock.timers.tick(1);
    assert.deepEqual(
      sent.map((f) => f.type === 'send' && f.clientMessageId),
      ['cm2'],
      'resent once after the wait',
    );
  });
});
