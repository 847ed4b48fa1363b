/**
 * Stop, regenerate and edit-and-resend through LlcClient, in real Chromium against the real relay; each result
 * is checked against the history the relay stored.
 */
import { expect } from '@open-wc/testing';
import { newId } from '@locallightchat/protocol';
import { LlcClient, LlcClientError, tokenFromEndpoint, type ConversationSnapshot } from '@locallightchat/client';
import { devTokenUrl, testStack, until, type TestStack } from './helpers.js';

let stack: TestStack;
before(async () => {
  stack = await testStack();
});

function make(user: string): LlcClient {
  return new LlcClient({
    url: stack.wsUrl,
    getToken: tokenFromEndpoint(devTokenUrl(stack), { body: { user } }),
    connection: 'direct',
    storage: false,
  });
}

const settled = (s: ConversationSnapshot) =>
  !s.busy && s.messages.some((m) => m.role === 'assistant' && (m.status === 'done' || m.status === 'stopped'));

async function stored(user: string, conversationId: string, count: number): Promise<ConversationSnapshot> {
  const reader = make(user);
  reader.open(conversationId);
  const s = await until(
    reader,
    conversationId,
    (x) => x.messages.length === count && !x.busy,
    `${count} stored messages`,
  );
  reader.close();
  return s;
}

describe('stop, regenerate, edit-and-resend (real relay)', () => {
  it('stops an answer mid-stream', async () => {
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    const c = make(user);
    c.open(conversationId);
    c.send(conversationId, 'Write a long answer about distributed systems.', { maxTokens: 2000 });
    const streaming = await until(
      c,
      conversationId,
      (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'streaming' && m.text.length > 0),
      'streaming',
    );
    const answer = streaming.messages.find((m) => m.role === 'assistant')!;
    c.stop(conversationId, answer.streamId!);
    const done = await until(c, conversationId, settled, 'the stop');
    const stopped = done.messages.find((m) => m.role === 'assistant')!;
    expect(stopped.status).to.equal('stopped');
    expect(stopped.finishReason).to.equal('cancelled');
    const history = await stored(user, conversationId, 2);
    expect(history.messages[1]!.status).to.equal('stopped');
    c.close();
  });

  it('regenerates and edits into branches, keeps every version, and switches between them', async function () {
    this.timeout(90_000);
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    const c = make(user);
    c.open(conversationId);
    c.send(conversationId, 'First question');
    let s = await until(c, conversationId, settled, 'the first answer');
    const firstAnswer = s.messages.find((m) => m.role === 'assistant')!;
    // The relay persists an answer just after its end reaches the clients; branch from persisted turns.
    await stored(user, conversationId, 2);
    const original = s.messages[0]!;

    c.regenerate(conversationId, firstAnswer.key);
    s = await until(
      c,
      conversationId,
      (x) => settled(x) && x.messages.every((m) => m.key !== firstAnswer.key) && x.messages[0]?.siblings?.length === 2,
      'the regenerated answer, a second version',
    );
    expect(s.messages.map((m) => [m.role, m.role === 'user' ? m.text : ''])).to.deep.equal([
      ['user', 'First question'],
      ['assistant', ''],
    ]);
    expect(s.messages[0]!.siblings).to.deep.equal([original.id, s.messages[0]!.id]);
    const question = s.messages[0]!;
    await stored(user, conversationId, 2);

    // An edit whose answer is long: switch away while it streams, and back.
    c.editAndResend(conversationId, question.key, 'Edited question', { maxTokens: 600 });
    s = await until(
      c,
      conversationId,
      (x) =>
        x.messages[0]?.text === 'Edited question' &&
        x.messages[0]?.siblings?.length === 3 &&
        x.messages.some((m) => m.role === 'assistant' && m.status === 'streaming' && m.text.length > 0),
      'the edit streaming, as a third version',
    );
    const versions = s.messages[0]!.siblings!;
    const edited = s.messages[0]!;
    c.selectBranch(conversationId, versions[0]!);
    s = await until(
      c,
      conversationId,
      (x) => x.historyLoaded && x.messages[0]?.id === versions[0] && x.messages.length === 2,
      'the first version shown while the edit streams',
    );
    expect(s.messages[1]!.text).to.equal(firstAnswer.text, 'the first answer is kept');
    expect(s.messages[0]!.siblings).to.deep.equal(versions);

    c.selectBranch(conversationId, edited.id!);
    s = await until(
      c,
      conversationId,
      (x) => x.messages[0]?.id === edited.id && settled(x) && x.messages[1]?.status === 'done',
      'the edit shown again and its answer finished',
    );
    const history = await stored(user, conversationId, 2);
    expect(history.messages.map((m) => m.text)).to.deep.equal(s.messages.map((m) => m.text));
    expect(history.messages[0]!.text).to.equal('Edited question');
    expect(history.messages[0]!.siblings).to.deep.equal(versions, 'a reader sees the choice and every version');

    // Bad calls fail clearly.
    expect(() => c.regenerate(conversationId, 'nope')).to.throw(LlcClientError);
    expect(() => c.editAndResend(conversationId, s.messages[1]!.key, 'x')).to.throw(LlcClientError);
    c.close();
  });
});
