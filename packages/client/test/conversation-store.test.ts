/**
 * ConversationStore: the seq rule (append, drop duplicates, resume once on a gap), merging history pages with
 * held and cached messages, resends of unacknowledged messages, and ended streams announced by `subscribed`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessage, ClientFrame } from '@locallightchat/protocol';
import { ConversationStore } from '@locallightchat/client';

function store() {
  const sent: ClientFrame[] = [];
  const settled: string[] = [];
  const s = new ConversationStore({
    onChange: () => undefined,
    onTokens: () => undefined,
    sendFrame: (f) => sent.push(f),
    onStreamEnd: () => undefined,
    onSettled: (id) => settled.push(id),
  });
  return { s, sent, settled };
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

describe('ConversationStore', () => {
  it('applies the seq rule: appends in order, drops duplicates, resumes once on a gap', () => {
    const { s, sent } = store();
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
  });

  it('resends unacknowledged messages after a reconnect and settles them on ack', () => {
    const { s, settled } = store();
    s.addOutgoing({ type: 'send', clientMessageId: 'cm1', conversationId: C, text: 'hi' });
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
    assert.deepEqual(settled, ['cm1']);
    assert.ok(!s.resyncFrames().some((f) => f.type === 'send'));
  });

  it('merges a history page that overlaps held messages in the server order', () => {
    const { s } = store();
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
    const { s } = store();
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
    const { s, sent } = store();
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
});
