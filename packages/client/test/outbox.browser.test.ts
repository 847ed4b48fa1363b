/**
 * The IndexedDB outbox and conversation cache, in real Chromium against a real relay (the embedded stack from
 * /__llc/stack): a message is stored before it is sent, sent by the next page after a "reload", removed on
 * ack, answered exactly once even when resent, and the conversation paints from the device cache.
 */
import { expect } from '@open-wc/testing';
import { newId } from '@locallightchat/protocol';
import { LlcClient, tokenFromEndpoint, type ClientMessage } from '@locallightchat/client';
import { IdbLocalStore } from '@locallightchat/client/internal';
import { answered, devTokenUrl, testStack, until, waitFor, type TestStack } from './helpers.js';

let stack: TestStack;
before(async () => {
  stack = await testStack();
});

function client(storageName: string, user: string, options: { autoConnect?: boolean; url?: string } = {}): LlcClient {
  return new LlcClient({
    url: options.url ?? stack.wsUrl,
    getToken: tokenFromEndpoint(devTokenUrl(stack), { body: { user } }),
    storageName,
    autoConnect: options.autoConnect ?? true,
  });
}

describe('IndexedDB outbox (real relay)', () => {
  it('stores a message before sending, sends it from the next page, removes it on ack, answers once', async () => {
    const name = `t-${newId()}`;
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    const outbox = new IdbLocalStore(`llc:${name}`);

    // Page 1 is offline (never connects): the message waits in the outbox.
    const first = client(name, user, { autoConnect: false });
    const sent = first.send(conversationId, 'Kept in the outbox across a reload');
    expect(sent.status).to.equal('pending');
    const stored = await waitFor(
      async () => (await outbox.outgoing()).find((f) => f.clientMessageId === sent.clientMessageId),
      'the outbox entry',
    );
    expect(stored.text).to.equal('Kept in the outbox across a reload');
    first.close();

    // Page 2 (same storage, as after a reload) sends it and shows it acknowledged and answered.
    const second = client(name, user);
    await second.restored;
    second.open(conversationId);
    const done = await until(
      second,
      conversationId,
      (s) => answered(s) && s.messages.some((m) => m.key === sent.key && m.status === 'done'),
      'ack and answer',
    );
    expect(done.messages.filter((m) => m.role === 'user').map((m) => m.text)).to.deep.equal([
      'Kept in the outbox across a reload',
    ]);
    await waitFor(
      async () => ((await outbox.outgoing()).length === 0 ? true : undefined),
      'the outbox to empty on ack',
    );
    second.close();

    // An ack that was lost (the page died before removing the entry): the next page resends, the relay
    // deduplicates by client message id, and the conversation still holds one question and one answer.
    await outbox.putOutgoing(stored);
    const third = client(name, user);
    await third.restored;
    third.open(conversationId);
    await waitFor(
      async () => ((await outbox.outgoing()).length === 0 ? true : undefined),
      'the resent entry to be acknowledged',
    );
    const settled = await until(
      third,
      conversationId,
      (s) => answered(s) && s.messages.every((m) => !m.cached),
      'history from the relay',
    );
    const roles = settled.messages.map((m: ClientMessage) => m.role);
    expect(roles).to.deep.equal(['user', 'assistant']);
    third.close();
    outbox.close();
  });

  it('paints a conversation from the device cache before (or without) the relay', async () => {
    const name = `t-${newId()}`;
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    const live = client(name, user);
    live.open(conversationId);
    live.send(conversationId, 'Cache me');
    const finished = await until(live, conversationId, answered, 'an answer');
    const answer = finished.messages.find((m) => m.role === 'assistant')!;
    live.close(); // flushes the cache write

    // A page whose relay is unreachable still shows the last known conversation.
    const cold = client(name, user, { url: 'ws://127.0.0.1:9/ws' });
    cold.open(conversationId);
    const painted = await until(cold, conversationId, (s) => s.messages.length === 2, 'the cached messages');
    expect(painted.messages.map((m) => [m.role, m.text])).to.deep.equal([
      ['user', 'Cache me'],
      ['assistant', answer.text],
    ]);
    expect(painted.messages.every((m) => m.cached)).to.equal(true);
    cold.close();
  });
});
