/**
 * The SSE-down / POST-up fallback, in real Chromium against the real relay's /sse endpoints: the same protocol
 * (handshake, send, ack, stream, resume after a dropped connection), and the automatic switch after WebSocket
 * attempts fail.
 */
import { expect } from '@open-wc/testing';
import { newId } from '@locallightchat/protocol';
import { LlcClient, tokenFromEndpoint, type LlcClientOptions } from '@locallightchat/client';
import { sseBaseUrl } from '@locallightchat/client/internal';
import { answered, devTokenUrl, opened, testStack, until, type TestStack } from './helpers.js';

let stack: TestStack;
before(async () => {
  stack = await testStack();
});

function make(user: string, extra: Partial<LlcClientOptions>): LlcClient {
  return new LlcClient({
    url: stack.wsUrl,
    getToken: tokenFromEndpoint(devTokenUrl(stack), { body: { user } }),
    connection: 'direct',
    storage: false,
    backoff: { baseMs: 50, capMs: 200 },
    ...extra,
  });
}

describe('SSE fallback transport (real relay)', () => {
  it('derives the SSE endpoint from the socket URL', () => {
    expect(sseBaseUrl('wss://chat.example.com/ws')).to.equal('https://chat.example.com');
    expect(sseBaseUrl('ws://127.0.0.1:8787/llc/ws?x=1')).to.equal('http://127.0.0.1:8787/llc');
  });

  it('speaks the whole protocol over SSE + POST, and resumes a stream after the connection drops', async () => {
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    const c = make(user, { transportKind: 'sse' });
    await opened(c);
    expect(c.stats.transport).to.equal('sse');
    expect(c.userId).to.equal(user);
    c.open(conversationId);
    c.send(conversationId, 'Write a long answer about distributed systems.', { maxTokens: 300 });
    await until(
      c,
      conversationId,
      (s) => s.messages.some((m) => m.role === 'assistant' && m.text.length > 0),
      'the first tokens',
    );
    const before = c.sessionId;
    c.reconnectNow();
    const done = await until(c, conversationId, answered, 'the complete answer');
    expect(c.sessionId).to.not.equal(before, 'a new event stream');
    expect(c.stats.transport).to.equal('sse');

    const reader = make(user, { transportKind: 'websocket' });
    reader.open(conversationId);
    const stored = await until(
      reader,
      conversationId,
      (s) => s.messages.length === 2 && answered(s),
      'the stored history',
    );
    expect(done.messages.map((m) => m.text)).to.deep.equal(stored.messages.map((m) => m.text));
    expect(done.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant']);
    reader.close();
    c.close();
  });

  it('switches to SSE by itself when WebSocket attempts fail', async () => {
    const user = `u${newId().slice(0, 8)}`;
    const conversationId = newId('c_');
    // A path where the relay refuses the WebSocket upgrade, as a blocking proxy would; /sse sits next to it.
    const c = make(user, { url: stack.wsUrl.replace(/\/ws$/, '/blocked') });
    await opened(c);
    expect(c.stats.transport).to.equal('sse');
    c.open(conversationId);
    c.send(conversationId, 'Hello over the fallback');
    const s = await until(c, conversationId, answered, 'an answer');
    expect(s.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant']);
    c.close();
  });
});
