/**
 * The Broker conformance suite. Every adapter runs it (tests/*.test.ts): the in-memory broker directly, the
 * NATS adapter against a real nats-server started on a free port. Behaviour the relay and bridge rely on is
 * written down here once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId, type StreamEndFrame, type StreamStartFrame, type TokenFrame } from '@locallightchat/protocol';
import type { Broker, Delivery } from './broker.js';
import type { ConversationEvent, GenerationRequest } from './messages.js';

/** One adapter under test: how to open connections to it and how to tear it down. */
export interface BrokerHarness {
  /** A new broker connection (for the memory adapter: a view of the same in-process broker). */
  connect(): Promise<Broker>;
  /** Closes every connection and stops servers. */
  teardown(): Promise<void>;
}

/** A valid generation request with fresh ids, with `overrides` applied. */
export function sampleRequest(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    requestId: newId('cm_'),
    streamId: newId('s_'),
    conversationId: newId('c_'),
    userId: 'user-1',
    replyTo: newId('m_'),
    messages: [{ role: 'user', content: 'Hello there' }],
    maxTokens: 64,
    priority: 0,
    createdAt: Date.now(),
    ...overrides,
  };
}

/** Polls until `check` returns a truthy value or the deadline passes (a bounded wait, not a timing test). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 5000,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function token(streamId: string, seq: number, text: string): TokenFrame {
  return { type: 'token', streamId, seq, text };
}

/** Registers the Broker conformance suite for one adapter. */
export function runBrokerConformance(name: string, makeHarness: () => Promise<BrokerHarness>): void {
  describe(`Broker conformance: ${name}`, () => {
    let harness: BrokerHarness;
    let relay: Broker;
    let bridgeA: Broker;
    let bridgeB: Broker;

    before(async () => {
      harness = await makeHarness();
      relay = await harness.connect();
      bridgeA = await harness.connect();
      bridgeB = await harness.connect();
    });
    after(async () => harness.teardown());

    it('reports itself connected', () => {
      assert.equal(relay.status, 'connected');
    });

    it('delivers a submitted request to a consumer with every field intact', async () => {
      const got: Delivery[] = [];
      const consumer = bridgeA.consume((d) => void got.push(d), { maxInFlight: 4 });
      const request = sampleRequest({ model: 'm', temperature: 0.5, reservedTokens: 80 });
      assert.deepEqual(await relay.submit(request), { duplicate: false });
      await eventually(() => got.length === 1, 'delivery');
      assert.deepEqual(got[0]!.request, request);
      assert.equal(got[0]!.attempt, 1);
      await got[0]!.ack();
      await consumer.stop();
    });

    it('delivers the W3C trace context given to submit (NATS: as message headers), and none when none was given', async () => {
      const got: Delivery[] = [];
      const consumer = bridgeA.consume((d) => void got.push(d), { maxInFlight: 4 });
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const [traced, plain, malformed] = [sampleRequest(), sampleRequest(), sampleRequest()];
      await relay.submit(traced, { traceContext: { traceparent, tracestate: 'llc=1,other=x' } });
      await relay.submit(plain);
      // Malformed context is dropped (a new trace), never a failed request.
      await relay.submit(malformed, { traceContext: { traceparent: '00-not-a-trace-01' } });
      await eventually(() => got.length === 3, 'three deliveries');
      const of = (r: GenerationRequest) => got.find((d) => d.request.requestId === r.requestId)!;
      assert.deepEqual(of(traced).traceContext, { traceparent, tracestate: 'llc=1,other=x' });
      assert.equal(of(plain).traceContext, undefined);
      assert.equal(of(malformed).traceContext, undefined);
      for (const d of got) await d.ack();
      await consumer.stop();
    });

    it('submits a repeated request id once', async () => {
      const got: Delivery[] = [];
      const consumer = bridgeA.consume(
        async (d) => {
          got.push(d);
          await d.ack();
        },
        { maxInFlight: 4 },
      );
      const request = sampleRequest();
      assert.equal((await relay.submit(request)).duplicate, false);
      assert.equal((await relay.submit({ ...request, createdAt: request.createdAt + 1 })).duplicate, true);
      await eventually(() => got.length === 1, 'first delivery');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(got.length, 1);
      await consumer.stop();
    });

    it('gives each request to exactly one of several consumers', async () => {
      const seen = new Map<string, number>();
      const handler = async (d: Delivery) => {
        seen.set(d.request.requestId, (seen.get(d.request.requestId) ?? 0) + 1);
        await d.ack();
      };
      const a = bridgeA.consume(handler, { maxInFlight: 2 });
      const b = bridgeB.consume(handler, { maxInFlight: 2 });
      const requests = Array.from({ length: 20 }, () => sampleRequest());
      await Promise.all(requests.map((r) => relay.submit(r)));
      await eventually(() => seen.size === 20, 'all 20 requests');
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(
        [...seen.values()].every((n) => n === 1),
        'no request delivered twice',
      );
      await a.stop();
      await b.stop();
    });

    it('redelivers a nak-ed request with a higher attempt number', async () => {
      const attempts: number[] = [];
      const consumer = bridgeA.consume(
        async (d) => {
          attempts.push(d.attempt);
          if (d.attempt === 1) await d.nak(0);
          else await d.ack();
        },
        { maxInFlight: 1 },
      );
      await relay.submit(sampleRequest());
      await eventually(() => attempts.length === 2, 'redelivery');
      assert.deepEqual(attempts, [1, 2]);
      await consumer.stop();
    });

    it('hands unacknowledged work of a stopped consumer to another one', async () => {
      const request = sampleRequest();
      let taken = false;
      const dying = bridgeA.consume(() => void (taken = true), { maxInFlight: 1 });
      await relay.submit(request);
      await eventually(() => taken, 'first delivery');
      await dying.stop();
      const got: Delivery[] = [];
      const survivor = bridgeB.consume(
        async (d) => {
          got.push(d);
          await d.ack();
        },
        { maxInFlight: 1 },
      );
      const delivered = await eventually(
        () => got.find((d) => d.request.requestId === request.requestId),
        'redelivery',
        15_000,
      );
      assert.ok(delivered.attempt >= 2);
      await survivor.stop();
    });

    it('fans conversation events out in publish order, with bytes that decode to the event', async () => {
      const conversationId = newId('c_');
      const received: ConversationEvent[] = [];
      const bytesSeen: number[] = [];
      const other: ConversationEvent[] = [];
      const sub = relay.subscribe(conversationId, (e, bytes) => {
        // As plain data: an adapter may hand token batches over as views whose text decodes when read.
        received.push(JSON.parse(JSON.stringify(e)) as ConversationEvent);
        bytesSeen.push(bytes.byteLength);
      });
      const otherSub = relay.subscribe(newId('c_'), (e) => void other.push(e));
      await settle(relay);
      const streamId = newId('s_');
      const events: ConversationEvent[] = [
        { type: 'stream-start', streamId, conversationId, replyTo: newId('m_'), model: 'm', createdAt: Date.now() },
        ...Array.from({ length: 50 }, (_, i) => token(streamId, i + 1, `t${i + 1} `)),
        {
          type: 'stream-end',
          streamId,
          conversationId,
          lastSeq: 50,
          finishReason: 'stop',
          usage: { promptTokens: 3, completionTokens: 50 },
        },
      ];
      for (const e of events) await bridgeA.publish(conversationId, e);
      await eventually(() => received.length === events.length, 'all events');
      assert.deepEqual(received, events);
      assert.ok(bytesSeen.every((n) => n > 0));
      assert.equal(other.length, 0);
      sub.unsubscribe();
      otherSub.unsubscribe();
      await bridgeA.publish(conversationId, token(streamId, 51, 'late'));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(received.length, events.length, 'no delivery after unsubscribe');
    });

    it('replays retained events of one stream from a sequence number', async () => {
      const conversationId = newId('c_');
      const s1 = newId('s_');
      const s2 = newId('s_');
      const start = {
        type: 'stream-start',
        streamId: s1,
        conversationId,
        replyTo: newId('m_'),
        model: 'm',
        createdAt: 1,
      } as const;
      await bridgeA.publish(conversationId, start);
      for (let seq = 1; seq <= 10; seq++) {
        await bridgeA.publish(conversationId, token(s1, seq, `a${seq}`));
        await bridgeA.publish(conversationId, token(s2, seq, `b${seq}`));
      }
      const end: StreamEndFrame = {
        type: 'stream-end',
        streamId: s1,
        conversationId,
        lastSeq: 10,
        finishReason: 'stop',
      };
      await bridgeA.publish(conversationId, end);
      const fromSeven = await eventually(async () => {
        const r = await relay.replay({ conversationId, streamId: s1, fromSeq: 7 });
        return r.length === 5 ? r : undefined;
      }, 'replay');
      assert.deepEqual(fromSeven, [
        token(s1, 7, 'a7'),
        token(s1, 8, 'a8'),
        token(s1, 9, 'a9'),
        token(s1, 10, 'a10'),
        end,
      ]);
      const fromStart = await relay.replay({ conversationId, streamId: s1, fromSeq: 1 });
      assert.deepEqual(fromStart[0], start);
      assert.equal(fromStart.length, 12);
      const all = await relay.replay({ conversationId });
      assert.equal(all.length, 22);
      // A deleted conversation's events are purged: nothing of it replays, other conversations keep theirs.
      const other = newId('c_');
      await bridgeA.publish(other, token(newId('s_'), 1, 'kept'));
      await relay.purge(conversationId);
      assert.deepEqual(await relay.replay({ conversationId }), []);
      assert.deepEqual(await relay.replay({ conversationId, streamId: s1, fromSeq: 1 }), []);
      assert.equal(
        (
          await eventually(async () => {
            const r = await relay.replay({ conversationId: other });
            return r.length === 1 ? r : undefined;
          }, 'the other conversation')
        ).length,
        1,
      );
    });

    it('replays many whole conversations asked at once (as a relay opening a dead relay’s), each its own events', async () => {
      // Streams that run at the same time interleave in the retained stream; NatsBroker serves conversations
      // asked together by one walk of it (nats-bulk-replay.ts).
      const conversations = Array.from({ length: 40 }, () => ({ id: newId('c_'), streamId: newId('s_') }));
      const expected = new Map<string, unknown[]>();
      for (const { id, streamId } of conversations) {
        const start: StreamStartFrame = {
          type: 'stream-start',
          streamId,
          conversationId: id,
          replyTo: newId('m_'),
          model: 'm',
          createdAt: 1,
        };
        expected.set(id, [start]);
        await bridgeA.publish(id, start);
      }
      for (let seq = 1; seq <= 5; seq++)
        for (const { id, streamId } of conversations) {
          const t = token(streamId, seq, `${id}:${seq}`);
          expected.get(id)!.push(t);
          await bridgeA.publish(id, t);
        }
      for (const { id, streamId } of conversations) {
        const end: StreamEndFrame = {
          type: 'stream-end',
          streamId,
          conversationId: id,
          lastSeq: 5,
          finishReason: 'stop',
        };
        expected.get(id)!.push(end);
        await bridgeA.publish(id, end);
      }
      const empty = newId('c_');
      await bridgeA.flush();
      const read = await eventually(async () => {
        const all = await Promise.all(conversations.map(({ id }) => relay.replay({ conversationId: id })));
        return all.every((events) => events.length === 7) ? all : undefined;
      }, 'every conversation retained');
      conversations.forEach(({ id }, i) => assert.deepEqual(read[i], expected.get(id), id));
      const again = await Promise.all([
        relay.replay({ conversationId: empty }),
        ...conversations.slice(0, 3).map(({ id }) => relay.replay({ conversationId: id })),
      ]);
      assert.deepEqual(again[0], [], 'a conversation with nothing retained');
      conversations.slice(0, 3).forEach(({ id }, i) => assert.deepEqual(again[i + 1], expected.get(id), id));
    });

    it('broadcasts cancellations to every bridge and remembers them', async () => {
      const streamId = newId('s_');
      const seenA: string[] = [];
      const seenB: string[] = [];
      const subA = bridgeA.onCancel((id) => void seenA.push(id));
      const subB = bridgeB.onCancel((id) => void seenB.push(id));
      await settle(bridgeA);
      await settle(bridgeB);
      await relay.cancel(streamId);
      await eventually(() => seenA.includes(streamId) && seenB.includes(streamId), 'cancel broadcast');
      assert.equal(await bridgeB.isCancelled(streamId), true);
      assert.equal(await bridgeB.isCancelled(newId('s_')), false);
      subA.unsubscribe();
      subB.unsubscribe();
    });

    it('announces a deleted conversation to every node, naming the node that announced it', async () => {
      const conversationId = newId('c_');
      const seenA: [string, string][] = [];
      const seenB: [string, string][] = [];
      const subA = bridgeA.onDeleted((id, origin) => void seenA.push([id, origin]));
      const subB = bridgeB.onDeleted((id, origin) => void seenB.push([id, origin]));
      await settle(bridgeA);
      await settle(bridgeB);
      await relay.announceDeleted(conversationId, 'node-7');
      await eventually(() => seenA.length > 0 && seenB.length > 0, 'deletion broadcast');
      assert.deepEqual(seenA, [[conversationId, 'node-7']]);
      assert.deepEqual(seenB, [[conversationId, 'node-7']]);
      subA.unsubscribe();
      subB.unsubscribe();
    });
  });
}

/** Lets a subscription reach the server before publishing. */
async function settle(broker: Broker): Promise<void> {
  await broker.flush();
}
