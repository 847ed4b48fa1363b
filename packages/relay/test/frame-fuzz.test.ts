/**
 * Hostile frames at a real relay while a well-behaved client chats: the client's answer must arrive whole, in
 * order and on time, and the relay must stay up. Short by default (part of `npm test`); the long mode is
 * `LLC_RELAY_FUZZ_FRAMES=1000000` (and `LLC_FUZZ_SEED=<n>` replays a run).
 *
 * The frames: random bytes, valid frames with bytes flipped, cut or appended, JSON text frames of random
 * arrays, and valid frames with hostile content (unknown ids, other users' ids, huge limits, empty texts).
 * Invalid UTF-8 text frames and frames past uWS's payload bound are left out: uWS cuts those connections in its
 * parser (see the README's security section).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROTOCOL_VERSION, encodeFrame, newId, type ClientFrame } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const SEED = Number(process.env.LLC_FUZZ_SEED ?? 20261203);
const FRAMES = Number(process.env.LLC_RELAY_FUZZ_FRAMES ?? 10_000);
const ATTACKERS = 4;

/** Small deterministic PRNG (mulberry32): a failure replays from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let stack: TestStack;
before(async () => {
  stack = await startTestStack({
    // Limits high enough that most hostile frames reach the decoder and the handlers (the point of the test).
    relay: {
      frameRatePerSecond: 100_000,
      frameRateBurst: 100_000,
      frameRatePerUser: { capacity: 1_000_000, refillPerSecond: 100_000 },
      subscribeRatePerUser: { capacity: 1_000_000, refillPerSecond: 100_000 },
      maxBadFramesPerMinute: 1_000_000,
      maxConversationsPerConnection: 100_000,
    },
  });
});
after(async () => stack.close());

function hostileFrame(random: () => number, victimConversation: string, victimStream: string): Uint8Array | string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const id = () => pick([newId('c_'), victimConversation, victimStream, 'x', '', 'c_'.padEnd(300, 'z')]);
  const valid: ClientFrame[] = [
    { type: 'subscribe', conversationId: id() },
    { type: 'history', conversationId: id(), limit: pick([1, 50, 1_000_000]) },
    { type: 'resume', conversationId: id(), streamId: id(), fromSeq: pick([0, 1, 2 ** 31]) },
    { type: 'stop', conversationId: id(), streamId: victimStream },
    { type: 'unsubscribe', conversationId: id() },
    { type: 'send', clientMessageId: newId('cm_'), conversationId: id(), text: pick(['', ' ']), maxTokens: 1 },
    { type: 'hello', v: PROTOCOL_VERSION, token: 'not.a.token' },
    { type: 'auth', token: 'x' },
    { type: 'ping', ts: random() },
  ];
  const kind = random();
  if (kind < 0.2) return Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
  let frame: ClientFrame;
  try {
    frame = pick(valid);
    const bytes = encodeFrame(frame);
    if (kind < 0.45) return bytes;
    if (kind < 0.8) {
      const mutated = Uint8Array.from(bytes);
      for (let i = 0; i < 1 + random() * 3; i++) mutated[Math.floor(random() * mutated.length)] = random() * 256;
      return random() < 0.3 ? mutated.slice(0, Math.floor(random() * mutated.length)) : mutated;
    }
  } catch {
    // An id the encoder refuses: send random JSON instead.
  }
  const values = [null, 0, -1, 1e308, 'x', '', [], {}, [1, 'a'], true, 'c_'.repeat(50)];
  return JSON.stringify([Math.floor(random() * 40), ...Array.from({ length: random() * 6 }, () => pick(values))]);
}

describe('relay frame fuzzer', () => {
  it(`keeps a well-behaved client's answer intact and on time under ${FRAMES} hostile frames (seed ${SEED})`, async () => {
    const random = rng(SEED);
    const victim = await ProtocolClient.connect(stack.wsUrl, await stack.token('fuzz-victim'));
    const conversationId = newId('c_');
    const clientMessageId = newId('cm_');
    victim.send({ type: 'send', clientMessageId, conversationId, text: 'Tell me about streaming.', maxTokens: 150 });
    const ack = await victim.next('ack');
    const started = Date.now();
    let answeredAt = 0;
    const answer = victim.streamText(ack.streamId, 60_000).then((result) => {
      answeredAt = Date.now();
      return result;
    });

    let sent = 0;
    let reconnects = 0;
    const attack = async (n: number) => {
      const token = await stack.token(`fuzz-attacker-${n}`);
      let socket = await ProtocolClient.connect(stack.wsUrl, token);
      while (sent < FRAMES) {
        if (!socket.isOpen) {
          reconnects++;
          socket = await ProtocolClient.connect(stack.wsUrl, token);
        }
        for (let i = 0; i < 200 && sent < FRAMES; i++, sent++) {
          socket.sendRaw(hostileFrame(random, conversationId, ack.streamId));
        }
        // Let the relay read what was written (and the victim's frames through).
        await new Promise((r) => setImmediate(r));
        socket.send({ type: 'ping', ts: sent });
        await socket
          .until((fs) => fs.some((f) => f.type === 'pong' && f.ts === sent), 'pong', 30_000)
          .catch(() => {
            // A socket closed for a protocol violation: the loop reconnects.
          });
      }
      await socket.close();
    };
    await Promise.all(Array.from({ length: ATTACKERS }, (_, n) => attack(n)));

    const { text, end } = await answer;
    const tookMs = answeredAt - started;
    assert.ok(end.finishReason === 'stop' || end.finishReason === 'length', `ended with ${end.finishReason}`);
    assert.ok(text.length > 0);
    assert.ok(tookMs < 30_000, `on time (${tookMs} ms)`);
    const from = victim.frames.length;
    victim.send({ type: 'history', conversationId });
    const page = await victim.next('history-page', from);
    assert.equal(page.messages.at(-1)?.text, text, 'the stored answer is the streamed one');
    assert.equal((await fetch(`${stack.httpUrl}/healthz`)).status, 200);
    await victim.close();
    console.log(`# fuzz: ${sent} frames, ${reconnects} reconnects, answer in ${tookMs} ms (seed ${SEED})`);
  });
});
