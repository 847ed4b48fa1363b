/**
 * One connection for all tabs, in real Chromium against a real relay. Several clients in one page stand in for
 * several tabs of one origin: they share the SharedWorker (same script URL and name) and the Web Lock and
 * BroadcastChannel of leader election exactly as tabs do.
 */
import { expect } from '@open-wc/testing';
import { newId } from '@locallightchat/protocol';
import { LlcClient, tokenFromEndpoint, type ConversationSnapshot, type LlcClientOptions } from '@locallightchat/client';
import { answered, devTokenUrl, opened, testStack, until, type TestStack } from './helpers.js';

let stack: TestStack;
before(async () => {
  stack = await testStack();
});

const WORKER_URL = '/packages/client/src/links/shared-worker.ts';

function tab(key: string, user: string, extra: Partial<LlcClientOptions>): LlcClient {
  return new LlcClient({
    url: stack.wsUrl,
    getToken: tokenFromEndpoint(devTokenUrl(stack), { body: { user } }),
    storageName: key,
    sharedWorkerUrl: WORKER_URL,
    ...extra,
  });
}

describe('one connection for all tabs (real relay)', () => {
  it('shares one relay session through a SharedWorker and streams one answer into every tab', async () => {
    const key = `k-${newId()}`;
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    const a = tab(key, user, { connection: 'shared-worker' });
    const b = tab(key, user, { connection: 'shared-worker' });
    await Promise.all([opened(a), opened(b)]);
    expect(a.stats.mode).to.equal('shared-worker');
    expect(b.stats.mode).to.equal('shared-worker');
    expect(a.sessionId).to.be.a('string');
    expect(b.sessionId).to.equal(a.sessionId, 'both tabs on the same relay connection');

    b.open(conversationId);
    a.open(conversationId);
    a.send(conversationId, 'One answer, two tabs');
    const [inA, inB] = await Promise.all([
      until(a, conversationId, answered, 'the answer in A'),
      until(b, conversationId, answered, 'the answer in B'),
    ]);
    const text = (s: ConversationSnapshot) => s.messages.map((m) => `${m.role}:${m.text}`);
    expect(text(inB)).to.deep.equal(text(inA));
    expect(inA.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant']);
    a.close();
    b.close();
  });

  it('falls back to leader election when the shared worker script cannot load', async () => {
    const c = tab(`k-${newId()}`, `u${newId().slice(0, 8)}`, {
      connection: 'shared-worker',
      sharedWorkerUrl: '/no-such-worker.js',
    });
    await opened(c);
    expect(c.stats.mode).to.equal('leader');
    c.close();
  });

  it('elects a leader tab; when it closes mid-stream a follower takes over and nothing is lost', async () => {
    const key = `k-${newId()}`;
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    const leader = tab(key, user, { connection: 'leader' });
    await opened(leader);
    expect(leader.stats.mode).to.equal('leader');
    const follower = tab(key, user, { connection: 'leader' });
    await opened(follower);
    expect(follower.stats.mode).to.equal('follower');
    expect(follower.sessionId).to.equal(leader.sessionId);

    follower.open(conversationId);
    leader.open(conversationId);
    leader.send(conversationId, 'Write a long answer about distributed systems.', { maxTokens: 400 });
    // Close the leader once the answer is streaming in the follower.
    await until(
      follower,
      conversationId,
      (s) => s.messages.some((m) => m.role === 'assistant' && m.text.length > 0),
      'the first tokens',
    );
    const firstSession = follower.sessionId;
    leader.close();
    const done = await until(follower, conversationId, answered, 'the complete answer after the takeover');
    expect(follower.stats.mode).to.equal('leader');
    expect(follower.sessionId).to.not.equal(firstSession, 'a new connection, owned by the former follower');

    // The transcript equals what the relay stored: every token arrived once, in order.
    const reader = tab(`k-${newId()}`, user, { connection: 'direct', storage: false });
    reader.open(conversationId);
    const stored = await until(
      reader,
      conversationId,
      (s) => s.messages.length === 2 && answered(s),
      'the stored history',
    );
    expect(done.messages.map((m) => m.text)).to.deep.equal(stored.messages.map((m) => m.text));
    reader.close();
    follower.close();
  });
});
