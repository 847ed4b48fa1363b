/**
 * NatsBroker's event publishing against a real nats-server with JetStream: events JetStream did not store (no
 * stream to answer, a server restart) are sent again in order until they are, each stored once; past the
 * deadline the stream ends explicitly with `stream-failed` instead of leaving a hole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { newId } from '@locallightchat/protocol';
import { startNats, type RunningServer } from '@locallightchat/test-support';
import { BrokerUnavailableError } from '../src/broker.js';
import { eventually } from '../src/conformance.js';
import type { ConversationEvent } from '../src/messages.js';
import { NatsBroker } from '../src/nats-broker.js';
import { resolveNatsBrokerOptions } from '../src/nats-options.js';

let server: RunningServer;
const brokers: NatsBroker[] = [];

before(async () => {
  server = await startNats();
});

after(async () => {
  for (const b of brokers) await b.close().catch(() => undefined);
  await server.stop();
});

async function open(options: { publishDeadlineMs?: number; publishAckTimeoutMs?: number } = {}) {
  const broker = await NatsBroker.connect({ servers: server.url, log: () => undefined, ...options });
  brokers.push(broker);
  return broker;
}

/** Deletes the events stream, so that nothing stores (or acknowledges) events until a broker creates it again. */
async function dropEventsStream(): Promise<void> {
  const nc = await connect({ servers: server.url });
  await (await jetstreamManager(nc)).streams.delete('LLC_EVENTS');
  await nc.close();
}

const token = (streamId: string, seq: number): ConversationEvent => ({
  type: 'token',
  streamId,
  seq,
  text: `<${seq}>`,
});

async function storedSeqs(broker: NatsBroker, conversationId: string, streamId: string): Promise<number[]> {
  const events = await broker.replay({ conversationId, streamId });
  return events.flatMap((e) => (e.type === 'token' ? [e.seq] : []));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('NatsBroker: events acknowledged by JetStream', () => {
  it('retries events while JetStream has no stream for them, in order, until it has; each stored once', async () => {
    const broker = await open({ publishAckTimeoutMs: 300 });
    const conversationId = newId('c_');
    const streamId = newId('s_');
    for (const seq of range(1, 5)) await broker.publish(conversationId, token(streamId, seq));
    await broker.settled(5000);
    assert.equal(broker.unacknowledgedEvents, 0, 'stored and acknowledged');

    await dropEventsStream();
    for (const seq of range(6, 25)) void broker.publish(conversationId, token(streamId, seq));
    await eventually(() => broker.resentEvents > 0, 'events sent again while nothing stores them');
    assert.equal(broker.unacknowledgedEvents, 20, 'none acknowledged without a stream');

    await open(); // creates the events stream again
    await broker.settled(15_000);
    assert.equal(broker.unacknowledgedEvents, 0, 'every event acknowledged once the stream is back');
    // Batches 1–5 went with the old stream; 6–25 are stored once each, in seq order.
    assert.deepEqual(await storedSeqs(broker, conversationId, streamId), range(6, 25));
  });

  it('stores every event published across a server restart, once each, in order', async () => {
    const broker = await open({ publishAckTimeoutMs: 500 });
    const conversationId = newId('c_');
    const streamId = newId('s_');
    for (const seq of range(1, 10)) void broker.publish(conversationId, token(streamId, seq));
    await broker.settled(5000);
    await server.halt();
    // Buffered by the client while it reconnects; JetStream answers once the server and its stream are back.
    for (const seq of range(11, 30)) void broker.publish(conversationId, token(streamId, seq));
    await server.restart();
    for (const seq of range(31, 40)) void broker.publish(conversationId, token(streamId, seq));
    await broker.settled(20_000);
    assert.equal(broker.unacknowledgedEvents, 0);
    assert.deepEqual(await storedSeqs(broker, conversationId, streamId), range(1, 40));
  });

  it('past the deadline the stream ends with stream-failed and later publishes are refused', async () => {
    const broker = await open({ publishDeadlineMs: 1500, publishAckTimeoutMs: 300 });
    const reader = await open();
    const conversationId = newId('c_');
    const streamId = newId('s_');
    const seen: ConversationEvent[] = [];
    reader.subscribe(conversationId, (event) => void seen.push(event));
    await reader.flush();
    await broker.publish(conversationId, token(streamId, 1));
    await broker.settled(5000);

    await dropEventsStream();
    for (const seq of range(2, 4)) void broker.publish(conversationId, token(streamId, seq));
    const end = await eventually(
      () => seen.find((e) => e.type === 'stream-end'),
      'an explicit end after the deadline',
      10_000,
    );
    assert.deepEqual(
      { ...end, errorMessage: undefined },
      {
        type: 'stream-end',
        streamId,
        conversationId,
        lastSeq: 1,
        finishReason: 'error',
        errorCode: 'stream-failed',
        errorMessage: undefined,
      },
      'the end names the last batch before the first one not stored',
    );
    await assert.rejects(broker.publish(conversationId, token(streamId, 5)), BrokerUnavailableError);
    // Batches 2–4 went out live (each readers' copy once per attempt, dropped by seq) but nothing claims them stored.
    assert.ok(seen.some((e) => e.type === 'token' && e.seq === 4));
    await open(); // the stream back for the next tests
  });

  it('fits the default deadline into a short retention, and checks an explicit one as given', () => {
    // The chaos suite's 5 s retention (`--nats-event-retention-ms 5000`) failed every start with the 30 s default.
    const short = resolveNatsBrokerOptions({ servers: server.url, eventRetentionMs: 5000 });
    assert.equal(short.publishDeadlineMs, 2500);
    assert.equal(resolveNatsBrokerOptions({ servers: server.url }).publishDeadlineMs, 30_000);
    assert.throws(
      () => resolveNatsBrokerOptions({ servers: server.url, eventRetentionMs: 5000, publishDeadlineMs: 5000 }),
      /publishDeadlineMs \(5000\) must be shorter than the events' dedup window \(5000 ms/,
    );
  });

  it('refuses a deadline not shorter than the dedup window (a retry could be stored twice)', async () => {
    await assert.rejects(
      NatsBroker.connect({ servers: server.url, publishDeadlineMs: 120_000 }),
      /publishDeadlineMs .* must be shorter than the events' dedup window/,
    );
  });
});
