/**
 * LlcClient over a scripted transport (real codec, direct connection, memory storage): the typed events, a
 * read that does not subscribe, and timers that end with `close()` — a retry-after resend scheduled before a
 * close must not fire into the next connection, which has already resent the message in its resync.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CLIENT_LIMITS, type ClientFrame } from '@locallightchat/protocol';
import { LlcClient, type ConnectionStatus, type StreamMetrics } from '@locallightchat/client';
import { firstConnection, scriptedTransport, settle } from './scripted-transport.js';

function client() {
  const scripted = scriptedTransport();
  const c = new LlcClient({
    url: 'ws://relay/ws',
    getToken: async () => 'token',
    transport: scripted.transport,
    storage: false,
    backoff: { baseMs: 1000, capMs: 1000, random: () => 0 },
  });
  /** Completes the handshake of the newest connection. */
  const open = async () => {
    await firstConnection(scripted.links);
    scripted.last().handlers.onOpen();
    scripted.last().welcome(60_000);
  };
  const sends = (frames: ClientFrame[]) => frames.filter((f) => f.type === 'send').length;
  return { c, ...scripted, open, sends };
}

describe('LlcClient', () => {
  it('fires typed events: status, conversation, stream-end', async () => {
    const h = client();
    const statuses: ConnectionStatus[] = [];
    const changed: string[] = [];
    const metrics: StreamMetrics[] = [];
    h.c.addEventListener('status', (e) => statuses.push(e.detail.status));
    h.c.addEventListener('conversation', (e) => changed.push(e.detail.conversationId));
    h.c.addEventListener('stream-end', (e) => metrics.push(e.detail.metrics));
    assert.equal(h.c.maxTextChars, DEFAULT_CLIENT_LIMITS.maxTextChars, 'the protocol default before welcome');
    await h.open();
    assert.equal(h.c.maxTextChars, 1000, 'the relay’s limit after welcome');
    h.c.open('c1');
    h.last().serve({
      type: 'stream-start',
      streamId: 's1',
      conversationId: 'c1',
      replyTo: 'm1',
      model: 'x',
      createdAt: 1,
    });
    h.last().serve({ type: 'token', streamId: 's1', seq: 1, text: 'hi' });
    h.last().serve({ type: 'stream-end', streamId: 's1', conversationId: 'c1', lastSeq: 1, finishReason: 'stop' });
    assert.deepEqual(
      statuses,
      ['connecting', 'open'],
      'the direct link’s code loads on demand: `connecting` comes after the listeners are attached',
    );
    assert.deepEqual(changed, ['c1', 'c1', 'c1']);
    assert.deepEqual(
      metrics.map((m) => [m.streamId, m.batches]),
      [['s1', 1]],
    );
    assert.equal(h.c.stats.streamsCompleted, 1);
    h.c.close();
  });

  it('reads a conversation it does not show without following it', async () => {
    const h = client();
    await h.open();
    assert.deepEqual(h.c.snapshot('c9').messages, []);
    h.c.reconnectNow();
    await h.open();
    assert.deepEqual(h.last().types(), ['hello'], 'no subscribe, no history for a conversation only read');
    h.c.open('c9');
    assert.deepEqual(h.last().types(), ['hello', 'subscribe', 'history']);
    h.c.close();
  });

  it('resends a message after the relay’s retry-after while connected', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const h = client();
    await h.open();
    const message = h.c.send('c1', 'hello');
    await settle();
    assert.equal(h.sends(h.last().sent), 1);
    h.last().serve({ type: 'error', code: 'rate-limited', message: 'slow down', ref: message.key, retryAfterMs: 5000 });
    t.mock.timers.tick(5000);
    assert.equal(h.sends(h.last().sent), 2, 'resent once the wait is over');
    h.c.close();
  });

  it('cancels a pending retry-after resend on close: the next connection sends the message once', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const h = client();
    await h.open();
    const message = h.c.send('c1', 'hello');
    await settle();
    h.last().serve({ type: 'error', code: 'rate-limited', message: 'slow down', ref: message.key, retryAfterMs: 5000 });
    h.c.close();
    h.c.connect();
    await h.open();
    assert.equal(h.links.length, 2);
    assert.equal(h.sends(h.last().sent), 1, 'the resync resends it');
    t.mock.timers.tick(5000);
    assert.equal(h.sends(h.last().sent), 1, 'and nothing left over from before the close sends it again');
    h.c.close();
  });
});
