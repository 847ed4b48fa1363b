/**
 * The attacks of issue 12 as regression tests, each against the real embedded stack over real sockets: the
 * attacker and the victim are two users with their own dev tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode, PROTOCOL_VERSION, newId, type ServerFrame } from '@locallightchat/protocol';
import { MemoryStore, resolveConfig } from '@locallightchat/relay';
import { FD_RESERVE, connectionCapacity, openFileLimit, reopenBelow } from '@locallightchat/relay/internal';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';
import { freePort } from '@locallightchat/test-support';

function ofType<T extends ServerFrame['type']>(frames: ServerFrame[], type: T): Extract<ServerFrame, { type: T }>[] {
  return frames.filter((f): f is Extract<ServerFrame, { type: T }> => f.type === type);
}

/** Small store bounds so that a flood that would fill the default store takes a fraction of a second. */
const STORE_BOUNDS = { maxConversations: 60, maxConversationsPerUser: 20 };

let stack: TestStack;
before(async () => {
  stack = await startTestStack({
    store: new MemoryStore(STORE_BOUNDS),
    relay: { frameRatePerSecond: 5000, frameRateBurst: 5000, tokenBudget: { capacity: 3000, refillPerSecond: 1 } },
  });
});
after(async () => stack.close());

async function user(name = newId('u')) {
  return ProtocolClient.connect(stack.wsUrl, await stack.token(name));
}

describe('attack: conversation takeover by evicting the victim (H1)', () => {
  it('a flood of reads and subscriptions for new ids never frees the victim conversation for the attacker', async () => {
    const victim = await user();
    const conversationId = newId('c_');
    victim.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'my secret plan', maxTokens: 20 });
    const ack = await victim.next('ack');
    const answer = await victim.streamText(ack.streamId);

    // The attacker touches far more new ids than the store holds, from several connections (as a reconnecting
    // attacker would), with every frame that reads or claims a conversation.
    for (let round = 0; round < 3; round++) {
      const attacker = await user('mallory');
      for (let i = 0; i < 80; i++) {
        const id = newId('c_');
        attacker.send({ type: 'history', conversationId: id, limit: 1 });
        attacker.send({ type: 'subscribe', conversationId: newId('c_') });
        attacker.send({ type: 'resume', conversationId: newId('c_'), streamId: newId('s_'), fromSeq: 0 });
      }
      attacker.send({ type: 'ping', ts: round });
      await attacker.until((fs) => fs.some((f) => f.type === 'pong'), 'pong after the flood');
      await attacker.close();
    }

    const attacker = await user('mallory');
    attacker.send({ type: 'subscribe', conversationId });
    attacker.send({ type: 'history', conversationId, limit: 50 });
    attacker.send({ type: 'resume', conversationId, streamId: ack.streamId, fromSeq: 0 });
    attacker.send({ type: 'ping', ts: 1 });
    await attacker.until((fs) => ofType(fs, 'error').length >= 3, 'three refusals');
    assert.deepEqual(
      ofType(attacker.frames, 'error').map((e) => e.code),
      ['forbidden', 'forbidden', 'forbidden'],
    );
    assert.equal(ofType(attacker.frames, 'history-page').length, 0, 'no history of the victim');
    assert.equal(ofType(attacker.frames, 'token').length, 0, 'no token of the victim');
    assert.equal(ofType(attacker.frames, 'subscribed').length, 0);

    // The victim still owns and reads the conversation.
    const from = victim.frames.length;
    victim.send({ type: 'history', conversationId, limit: 50 });
    const page = await victim.next('history-page', from);
    assert.deepEqual(
      page.messages.map((m) => m.text),
      ['my secret plan', answer.text],
    );
    await attacker.close();
    await victim.close();
  });
});

describe('attack: memory growth through refused messages (H2)', () => {
  it('stores nothing for a message the token budget refuses', async () => {
    const c = await user();
    const conversationId = newId('c_');
    c.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'first', maxTokens: 2000 });
    const ack = await c.next('ack');
    await c.streamText(ack.streamId);
    const refused: string[] = [];
    for (let i = 0; i < 5; i++) {
      const clientMessageId = newId('cm_');
      refused.push(clientMessageId);
      c.send({ type: 'send', clientMessageId, conversationId, text: 'x'.repeat(1500), maxTokens: 2900 });
    }
    await c.until(
      (fs) => ofType(fs, 'error').filter((e) => e.code === 'rate-limited').length >= 5,
      'five budget refusals',
    );
    assert.deepEqual(
      ofType(c.frames, 'error').map((e) => e.ref),
      refused,
    );
    const from = c.frames.length;
    c.send({ type: 'history', conversationId, limit: 50 });
    const page = await c.next('history-page', from);
    assert.deepEqual(
      page.messages.map((m) => m.role),
      ['user', 'assistant'],
      'only the accepted message and its answer are stored',
    );
    await c.close();
  });
});

describe('attack: stopping another user stream (M1)', () => {
  it('refuses a stop that names the attacker conversation and the victim stream', async () => {
    const victim = await user();
    const victimConversation = newId('c_');
    victim.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId: victimConversation,
      text: 'Go on for a while',
      maxTokens: 600,
    });
    const ack = await victim.next('ack');
    await victim.next('token');

    const attacker = await user('mallory-stop');
    const own = newId('c_');
    attacker.send({ type: 'subscribe', conversationId: own });
    await attacker.next('subscribed');
    attacker.send({ type: 'stop', conversationId: own, streamId: ack.streamId });
    const refusal = await attacker.next('error');
    assert.equal(refusal.code, 'forbidden');
    assert.equal(refusal.ref, ack.streamId);

    const end = await victim.streamText(ack.streamId, 60_000);
    assert.notEqual(end.end.finishReason, 'cancelled', 'the victim answer ran to its end');
    await attacker.close();
    await victim.close();
  });
});

/** A client address as a proxy in front of the relay reports it (loopback peers are not limited per address). */
const FAR_CLIENT = '203.0.113.7, 10.0.0.2';

describe('attack: limits that reset on reconnect (M2)', () => {
  let limited: TestStack;
  before(async () => {
    limited = await startTestStack({
      relay: {
        frameRatePerSecond: 5000,
        frameRateBurst: 5000,
        frameRatePerUser: { capacity: 100, refillPerSecond: 1 },
        connectRatePerUser: { capacity: 5, refillPerSecond: 0.01 },
        maxConnectionsPerAddress: 6,
        clientAddressHeader: 'x-forwarded-for',
        subscribeRatePerUser: { capacity: 30, refillPerSecond: 0.1 },
      },
    });
  });
  after(async () => limited.close());

  it('keeps a user frame budget across reconnects', async () => {
    const token = await limited.token(newId('u'));
    let refused = 0;
    for (let round = 0; round < 3; round++) {
      const c = await ProtocolClient.connect(limited.wsUrl, token);
      for (let i = 0; i < 70; i++) c.send({ type: 'ping', ts: i });
      await c.until((fs) => fs.filter((f) => f.type === 'pong' || f.type === 'error').length >= 70, 'answers');
      refused += ofType(c.frames, 'error').filter((e) => e.code === 'too-many-frames').length;
      await c.close();
    }
    assert.ok(refused >= 50, `the third connection is refused most frames (refused ${refused} of 210)`);
  });

  it('limits the connections a user opens, whatever the reconnects, with close code 4029', async () => {
    const token = await limited.token(newId('u'));
    const outcomes: (number | 'welcome')[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await ProtocolClient.open(limited.wsUrl);
      c.send({ type: 'hello', v: PROTOCOL_VERSION, token });
      await c.until((fs) => fs.some((f) => f.type === 'welcome' || f.type === 'error'), 'welcome or error');
      if (c.frames.some((f) => f.type === 'welcome')) {
        outcomes.push('welcome');
        await c.close();
      } else {
        await c.until(() => c.closeCode !== undefined, 'close');
        assert.equal(ofType(c.frames, 'error')[0]!.code, 'rate-limited');
        outcomes.push(c.closeCode!);
      }
    }
    const expected: (number | 'welcome')[] = ['welcome', 'welcome', 'welcome', 'welcome', 'welcome'];
    for (let i = 0; i < 3; i++) expected.push(CloseCode.TooManyConnections);
    assert.deepEqual(outcomes, expected);
  });

  it('refuses connections past the process capacity (503, retryable) instead of running out of descriptors', async (t) => {
    const full = await startTestStack({ relay: { maxConnections: 2 } });
    t.after(() => full.close());
    const open = [await ProtocolClient.open(full.wsUrl), await ProtocolClient.open(full.wsUrl)];
    await assert.rejects(ProtocolClient.open(full.wsUrl), /503/);
    // Up, but a balancer should send new clients elsewhere.
    const ready = await fetch(`${full.httpUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), {
      ready: false,
      broker: 'connected',
      store: 'connected',
      draining: false,
      atCapacity: true,
    });
    await open.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    open.push(await ProtocolClient.open(full.wsUrl));
    for (const c of open) await c.close();
    assert.equal(openFileLimit('Max open files            20000                20000                files\n'), 20000);
    assert.equal(
      openFileLimit('Max open files            unlimited            unlimited            files\n'),
      Infinity,
    );
    assert.equal(connectionCapacity(undefined, 20000), 20000 - FD_RESERVE);
    assert.equal(connectionCapacity(5, 20000), 5);
    assert.equal(connectionCapacity(undefined, 1024), 768, 'a low limit keeps a quarter in reserve');
  });

  it('on a port shared with another relay, a full one leaves new connections to it until it has room', async (t) => {
    const port = await freePort();
    const a = await startTestStack({ relay: { port, maxConnections: 3, sharedPort: true } });
    t.after(() => a.close());
    const b = await startTestStack({ relay: { port, sharedPort: true } });
    t.after(() => b.close());
    const onA = () => a.stack.relay.connectionCount;
    const open: ProtocolClient[] = [];
    // The kernel spreads new connections over both listeners: open them until A is full.
    for (let i = 0; i < 200 && onA() < 3; i++) open.push(await ProtocolClient.open(a.wsUrl));
    assert.equal(onA(), 3);
    // Full, A no longer listens: every new connection goes to B, and none is refused (before, half went to A
    // and got 503).
    const onB = b.stack.relay.connectionCount;
    for (let i = 0; i < 30; i++) open.push(await ProtocolClient.open(a.wsUrl));
    assert.equal(onA(), 3);
    assert.equal(b.stack.relay.connectionCount, onB + 30);
    // One of A's connections leaves: at reopenBelow(3) = 2 it listens again and takes connections.
    for (const c of open) {
      if (onA() < 3) break;
      await c.close();
    }
    assert.equal(onA(), 2);
    for (let i = 0; i < 200 && onA() < 3; i++) open.push(await ProtocolClient.open(a.wsUrl));
    assert.equal(onA(), 3, 'A takes connections again');
    for (const c of open) await c.close();
    assert.equal(reopenBelow(19_232), 18_847, '2 % below a large capacity');
    assert.equal(reopenBelow(3), 2);
    assert.equal(reopenBelow(1), 0);
  });

  it('on a shared port with no other listener, refuses at TCP while full and listens again with room', async (t) => {
    assert.throws(() => resolveConfig({ sharedPort: true, port: 0 }), /sharedPort needs a given port/);
    const alone = await startTestStack({ relay: { port: await freePort(), maxConnections: 2, sharedPort: true } });
    t.after(() => alone.close());
    const open = [await ProtocolClient.open(alone.wsUrl), await ProtocolClient.open(alone.wsUrl)];
    await assert.rejects(ProtocolClient.open(alone.wsUrl), /ECONNREFUSED/);
    // One leaves (reopenBelow(2) = 1): it binds the port again while still holding the other connection.
    await open.pop()!.close();
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        open.push(await ProtocolClient.open(alone.wsUrl));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    assert.equal(alone.stack.relay.connectionCount, 2);
    for (const c of open) await c.close();
  });

  it('limits the connections one address holds open (429 at the upgrade)', async () => {
    const open: ProtocolClient[] = [];
    let refusal: unknown;
    for (let i = 0; i < 8 && refusal === undefined; i++) {
      try {
        open.push(await ProtocolClient.open(limited.wsUrl, { headers: { 'x-forwarded-for': FAR_CLIENT } }));
      } catch (error) {
        refusal = error;
      }
    }
    assert.equal(open.length, 6);
    assert.match(String(refusal), /429/);
    for (const c of open) await c.close();
    // A slot comes back when a connection closes.
    const again = await ProtocolClient.open(limited.wsUrl, { headers: { 'x-forwarded-for': FAR_CLIENT } });
    await again.close();
  });

  it('limits the subscriptions of a user', async () => {
    const c = await ProtocolClient.connect(limited.wsUrl, await limited.token(newId('u')));
    for (let i = 0; i < 50; i++) c.send({ type: 'subscribe', conversationId: newId('c_') });
    await c.until((fs) => fs.filter((f) => f.type === 'subscribed' || f.type === 'error').length >= 50, 'answers');
    const refusals = ofType(c.frames, 'error');
    assert.ok(refusals.length >= 15, `refused ${refusals.length} of 50`);
    assert.ok(refusals.every((e) => e.code === 'rate-limited' && e.retryAfterMs !== undefined));
    await c.close();
  });
});
