/**
 * The relay end to end over real sockets: vLLM simulator (HTTP) → bridge → in-memory broker → relay → `ws`
 * clients speaking the protocol.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloseCode,
  PROTOCOL_VERSION,
  encodeFrame,
  newId,
  type ServerFrame,
  type WelcomeFrame,
} from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({ relay: { helloTimeoutMs: 1500, maxBadFramesPerMinute: 5, maxTextChars: 2000 } });
});
after(async () => stack.close());

async function user(name = newId('u')): Promise<ProtocolClient & { welcome: WelcomeFrame }> {
  return ProtocolClient.connect(stack.wsUrl, await stack.token(name));
}

/** A labelled counter of the relay's metrics (0 when the label was never counted). */
async function counted(name: 'resumes' | 'storeCalls', label: string, value: string): Promise<number> {
  const { values } = await stack.stack.relay.metrics[name].get();
  return values.find((v) => (v.labels as Record<string, unknown>)[label] === value)?.value ?? 0;
}

function ofType<T extends ServerFrame['type']>(frames: ServerFrame[], type: T): Extract<ServerFrame, { type: T }>[] {
  return frames.filter((f): f is Extract<ServerFrame, { type: T }> => f.type === type);
}

describe('relay: handshake and auth', () => {
  it('welcomes a client with a valid token', async () => {
    const c = await user('alice');
    assert.equal(c.welcome.userId, 'alice');
    assert.equal(c.welcome.v, PROTOCOL_VERSION);
    assert.ok(c.welcome.heartbeatMs > 0);
    await c.close();
  });

  it('refuses a bad token with an error frame and close code 4001', async () => {
    const c = await ProtocolClient.open(stack.wsUrl);
    c.send({ type: 'hello', v: PROTOCOL_VERSION, token: 'not.a.jwt' });
    const error = await c.next('error');
    assert.equal(error.code, 'unauthorized');
    await c.until(() => c.closeCode !== undefined, 'close');
    assert.equal(c.closeCode, CloseCode.Unauthorized);
  });

  it('closes a socket that never says hello', async () => {
    const c = await ProtocolClient.open(stack.wsUrl);
    await c.until(() => c.closeCode !== undefined, 'close', 10_000);
    assert.equal(c.closeCode, CloseCode.Unauthorized);
  });

  it('accepts a token at upgrade time and refuses a bad one with 401', async () => {
    const token = await stack.token('bob');
    const c = await ProtocolClient.open(`${stack.wsUrl}?token=${token}`);
    c.send({ type: 'hello', v: PROTOCOL_VERSION });
    assert.equal((await c.next('welcome')).userId, 'bob');
    await c.close();
    await assert.rejects(ProtocolClient.open(`${stack.wsUrl}?token=bad`), /401/);
  });

  it('answers frames sent before hello with not-ready', async () => {
    const c = await ProtocolClient.open(stack.wsUrl);
    c.send({ type: 'subscribe', conversationId: 'c_x' });
    assert.equal((await c.next('error')).code, 'not-ready');
    await c.close();
  });
});

describe('relay: streaming an answer', () => {
  it('acknowledges, streams gap-free token batches, ends with usage, and persists both messages', async () => {
    const c = await user();
    const conversationId = newId('c_');
    const clientMessageId = newId('cm_');
    c.send({ type: 'send', clientMessageId, conversationId, text: 'Tell me about streaming.', maxTokens: 120 });
    const ack = await c.next('ack');
    assert.equal(ack.clientMessageId, clientMessageId);
    assert.equal(ack.duplicate, false);
    const start = await c.next('stream-start');
    assert.equal(start.streamId, ack.streamId);
    assert.equal(start.replyTo, ack.messageId);
    const { text, end } = await c.streamText(ack.streamId);
    assert.ok(text.length > 20, 'an answer with content');
    assert.ok(['stop', 'length'].includes(end.finishReason));
    assert.ok(end.usage && end.usage.completionTokens > 0 && end.usage.promptTokens > 0);

    // The answer is persisted: history has the user message and the full answer.
    const from = c.frames.length;
    await new Promise((r) => setTimeout(r, 50));
    c.send({ type: 'history', conversationId });
    const page = await c.next('history-page', from);
    assert.deepEqual(
      page.messages.map((m) => m.role),
      ['user', 'assistant'],
    );
    assert.equal(page.messages[0]!.text, 'Tell me about streaming.');
    assert.equal(page.messages[1]!.text, text);
    assert.equal(page.messages[1]!.streamId, ack.streamId);
    await c.close();
  });

  it('answers a repeated client message id once (outbox retries are safe)', async () => {
    const c = await user();
    const frame = {
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId: newId('c_'),
      text: 'Once only',
      maxTokens: 30,
    } as const;
    c.send(frame);
    const first = await c.next('ack');
    await c.streamText(first.streamId);
    const from = c.frames.length;
    c.send(frame);
    const second = await c.next('ack', from);
    assert.equal(second.duplicate, true);
    assert.equal(second.streamId, first.streamId);
    assert.equal(second.messageId, first.messageId);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ofType(c.frames, 'stream-start').length, 1, 'no second answer');
    await c.close();
  });

  it('delivers the stream to another tab of the same user and echoes the user message', async () => {
    const name = newId('u');
    const tabA = await user(name);
    const tabB = await user(name);
    const conversationId = newId('c_');
    tabB.send({ type: 'subscribe', conversationId });
    await tabB.next('subscribed');
    tabA.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: 'Shared across tabs',
      maxTokens: 40,
    });
    const ack = await tabA.next('ack');
    const echo = await tabB.next('message');
    assert.equal(echo.message.text, 'Shared across tabs');
    const a = await tabA.streamText(ack.streamId);
    const b = await tabB.streamText(ack.streamId);
    assert.equal(b.text, a.text);
    await tabA.close();
    await tabB.close();
  });

  it('resumes a stream after a reconnect without gaps or duplicates', async () => {
    const name = newId('u');
    const c1 = await user(name);
    const conversationId = newId('c_');
    c1.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: 'A long answer please',
      maxTokens: 400,
    });
    const ack = await c1.next('ack');
    await c1.until((fs) => ofType(fs, 'token').filter((t) => t.streamId === ack.streamId).length >= 3, 'a few batches');
    const got = ofType(c1.frames, 'token').filter((t) => t.streamId === ack.streamId);
    const lastSeq = got.at(-1)!.seq;
    const partial = got.map((t) => t.text).join('');
    c1.ws.terminate();

    const c2 = await user(name);
    c2.send({ type: 'subscribe', conversationId });
    const sub = await c2.next('subscribed');
    assert.ok(sub.streams.some((s) => s.streamId === ack.streamId));
    const fromRing = await counted('resumes', 'source', 'ring');
    const ownerReads = await counted('storeCalls', 'op', 'ownerOf');
    c2.send({ type: 'resume', conversationId, streamId: ack.streamId, fromSeq: lastSeq + 1 });
    const end = await c2.next('stream-end');
    // The relay's metrics say where the resume came from and what it cost the Store: nothing, the subscribe
    // checked the owner when it joined the conversation.
    assert.equal(await counted('resumes', 'source', 'ring'), fromRing + 1, 'served from the ring');
    assert.equal(await counted('storeCalls', 'op', 'ownerOf'), ownerReads, 'no Store read: joined by the subscribe');
    const rest = ofType(c2.frames, 'token').filter((t) => t.streamId === ack.streamId);
    assert.equal(rest[0]!.firstSeq ?? rest[0]!.seq, lastSeq + 1);
    for (let i = 1; i < rest.length; i++) assert.equal(rest[i]!.firstSeq ?? rest[i]!.seq, rest[i - 1]!.seq + 1);
    assert.equal(rest.at(-1)!.seq, end.lastSeq);
    const full = partial + rest.map((t) => t.text).join('');

    await new Promise((r) => setTimeout(r, 50));
    const from = c2.frames.length;
    c2.send({ type: 'history', conversationId });
    const page = await c2.next('history-page', from);
    assert.equal(page.messages.at(-1)!.text, full, 'resumed text equals the stored answer');
    await c2.close();
  });

  it('resumes an in-flight answer from far behind with one compacted frame, then the live tail, exactly once', async () => {
    const name = newId('u');
    const c1 = await user(name);
    const conversationId = newId('c_');
    c1.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: 'A long answer please',
      maxTokens: 400,
    });
    const ack = await c1.next('ack');
    // At least 3 batches (the simulator's answers vary in length, and under load its tokens come in fewer batches).
    await c1.until((fs) => ofType(fs, 'token').filter((t) => t.streamId === ack.streamId).length >= 3, 'batches');
    const seen = ofType(c1.frames, 'token')
      .filter((t) => t.streamId === ack.streamId)
      .at(-1)!.seq;
    c1.ws.terminate();

    const c2 = await user(name);
    c2.send({ type: 'subscribe', conversationId });
    await c2.next('subscribed');
    c2.send({ type: 'resume', conversationId, streamId: ack.streamId, fromSeq: 1 });
    const end = await c2.next('stream-end');
    const tokens = ofType(c2.frames, 'token').filter((t) => t.streamId === ack.streamId);
    const [compacted] = tokens;
    assert.equal(compacted!.firstSeq ?? compacted!.seq, 1);
    assert.ok(compacted!.seq >= seen, `one frame covers the ${seen}+ batches sent before the resume`);
    for (let i = 1; i < tokens.length; i++) {
      assert.equal(tokens[i]!.firstSeq ?? tokens[i]!.seq, tokens[i - 1]!.seq + 1, 'in order, no gap, no duplicate');
    }
    assert.equal(tokens.at(-1)!.seq, end.lastSeq);
    const textBytes = Buffer.byteLength(compacted!.text);
    assert.ok(
      encodeFrame(compacted!).byteLength <= 1.1 * textBytes + 64,
      'the compacted frame is the text plus a header',
    );

    await new Promise((r) => setTimeout(r, 50));
    const from = c2.frames.length;
    c2.send({ type: 'history', conversationId });
    const page = await c2.next('history-page', from);
    assert.equal(page.messages.at(-1)!.text, tokens.map((t) => t.text).join(''), 'the resumed text is the answer');
    await c2.close();
  });

  it('stops an answer and aborts it on the inference server', async () => {
    const c = await user();
    const conversationId = newId('c_');
    c.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'Go on for a while', maxTokens: 4000 });
    const ack = await c.next('ack');
    await c.next('token');
    c.send({ type: 'stop', conversationId, streamId: ack.streamId });
    const end = await c.next('stream-end');
    assert.equal(end.finishReason, 'cancelled');
    const metrics = await (await fetch(`${stack.simUrl.replace(/\/v1$/, '')}/metrics`)).text();
    assert.match(metrics, /vllm:request_success_total\{[^}]*finished_reason="abort"[^}]*\} [1-9]/);
    await c.close();
  });
});

describe('relay: bad input gets a clear error and loses nothing', () => {
  it('answers garbage bytes, bad JSON text and invalid frames with error frames, and keeps the socket', async () => {
    const c = await user();
    c.sendRaw(new Uint8Array([0xc1, 0xff, 0x00]));
    c.sendRaw('hello relay');
    c.sendRaw(encodeFrame({ type: 'subscribe', conversationId: 'ok' }).slice(0, 2));
    c.sendRaw(JSON.stringify([4, 'bad id with spaces']));
    await c.until((fs) => ofType(fs, 'error').length >= 4, 'four errors');
    assert.ok(ofType(c.frames, 'error').every((e) => e.code === 'bad-frame'));
    // Still alive and useful.
    c.send({ type: 'ping', ts: 42 });
    assert.equal((await c.next('pong')).ts, 42);
    await c.close();
  });

  it('accepts the JSON text form of frames', async () => {
    const c = await user();
    c.sendRaw(JSON.stringify([9, 7]));
    assert.equal((await c.next('pong')).ts, 7);
    await c.close();
  });

  it('refuses an oversize message with message-too-long', async () => {
    const c = await user();
    c.send({ type: 'send', clientMessageId: newId('cm_'), conversationId: newId('c_'), text: 'x'.repeat(2001) });
    const error = await c.next('error');
    assert.equal(error.code, 'message-too-long');
    assert.ok(c.isOpen);
    await c.close();
  });

  it('closes a connection that keeps sending garbage, and the server stays up', async () => {
    const c = await user();
    for (let i = 0; i < 10; i++) c.sendRaw(new Uint8Array([0xc1]));
    await c.until(() => c.closeCode !== undefined, 'close');
    assert.equal(c.closeCode, CloseCode.ProtocolViolation);
    const again = await user();
    again.send({ type: 'ping', ts: 1 });
    await again.next('pong');
    await again.close();
  });

  it("keeps users out of each other's conversations", async () => {
    const owner = await user();
    const intruder = await user();
    const conversationId = newId('c_');
    owner.send({ type: 'subscribe', conversationId });
    await owner.next('subscribed');
    intruder.send({ type: 'subscribe', conversationId });
    assert.equal((await intruder.next('error')).code, 'forbidden');
    intruder.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'mine now' });
    await intruder.until((fs) => ofType(fs, 'error').length >= 2, 'second error');
    assert.equal(ofType(intruder.frames, 'error')[1]!.code, 'forbidden');
    await owner.close();
    await intruder.close();
  });
});

describe('relay: HTTP endpoints', () => {
  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    assert.equal((await fetch(`${stack.httpUrl}/healthz`)).status, 200);
    const ready = await fetch(`${stack.httpUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
    const metrics = await (await fetch(`${stack.httpUrl}/metrics`)).text();
    for (const name of [
      'llc_relay_connections',
      'llc_relay_frames_sent_total',
      'llc_relay_streams_active',
      'llc_relay_first_token_seconds',
      'llc_relay_errors_total',
    ]) {
      assert.match(metrics, new RegExp(`^${name}`, 'm'), name);
    }
  });

  it('mints dev tokens and validates the user name', async () => {
    const ok = await fetch(`${stack.httpUrl}/auth/dev-token`, {
      method: 'POST',
      body: JSON.stringify({ user: 'carol' }),
    });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { token: string; userId: string; expiresAt: number };
    assert.equal(body.userId, 'carol');
    assert.ok(body.expiresAt > Date.now());
    const bad = await fetch(`${stack.httpUrl}/auth/dev-token`, {
      method: 'POST',
      body: JSON.stringify({ user: 'no spaces allowed' }),
    });
    assert.equal(bad.status, 400);
  });
});
