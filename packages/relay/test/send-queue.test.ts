import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeServerFrame, encodeFrame, type ServerFrame, type TokenFrame } from '@locallightchat/protocol';
import { SendQueue, type SocketSink } from '@locallightchat/relay/internal';

/** A socket whose buffer fills as we write and empties when the test says the client read. */
class FakeSocket implements SocketSink {
  buffered = 0;
  /** While stuck, written bytes stay buffered (the client does not read). */
  stuck = true;
  written: ServerFrame[] = [];
  corks = 0;
  send(bytes: Uint8Array): number {
    const r = decodeServerFrame(bytes);
    assert.ok(r.ok, 'every written frame decodes');
    this.written.push(r.frame);
    if (this.stuck) this.buffered += bytes.byteLength;
    return this.buffered > 1_000_000 ? 2 : this.buffered > 0 ? 0 : 1;
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  cork(fn: () => void): void {
    this.corks++;
    fn();
  }
  /** The client reads everything, now and from now on. */
  read(): void {
    this.buffered = 0;
    this.stuck = false;
  }
}

function setup(
  options: Partial<{ highWaterBytes: number; hardLimitBytes: number; prioritizeFirstTokens: boolean }> = {},
) {
  const socket = new FakeSocket();
  const stats = { sent: 0, backpressure: 0, coalesced: 0, overflow: 0, firstLatencies: [] as number[] };
  const queue = new SendQueue(
    socket,
    { highWaterBytes: 1_000_000, hardLimitBytes: 4_000_000, prioritizeFirstTokens: true, ...options },
    {
      onSent: (n, latency) => {
        stats.sent += n;
        if (latency !== undefined) stats.firstLatencies.push(latency);
      },
      onBackpressure: () => void stats.backpressure++,
      onCoalesced: () => void stats.coalesced++,
      onOverflow: () => void stats.overflow++,
    },
  );
  return { socket, queue, stats };
}

const tok = (streamId: string, seq: number, text = `t${seq} `): TokenFrame => ({ type: 'token', streamId, seq, text });
const event = (q: SendQueue, f: ServerFrame, at?: number) => q.event(f, encodeFrame(f), at);
const tick = () => new Promise((r) => setImmediate(r));

describe('SendQueue', () => {
  it('writes everything enqueued in one turn in one corked flush, in order', async () => {
    const { socket, queue } = setup();
    for (let i = 1; i <= 5; i++) event(queue, tok('s_a', i));
    await tick();
    assert.equal(socket.corks, 1);
    assert.deepEqual(
      socket.written.map((f) => (f as TokenFrame).seq),
      [1, 2, 3, 4, 5],
    );
  });

  it('sends control frames first, then first tokens, then continuing tokens', async () => {
    const { socket, queue } = setup();
    event(queue, tok('s_a', 7));
    event(queue, tok('s_b', 1));
    queue.control({ type: 'pong', ts: 1 });
    event(queue, {
      type: 'stream-start',
      streamId: 's_c',
      conversationId: 'c',
      replyTo: 'm',
      model: 'x',
      createdAt: 1,
    });
    await tick();
    assert.deepEqual(
      socket.written.map((f) => f.type + ('seq' in f ? f.seq : '')),
      ['pong', 'token1', 'stream-start', 'token7'],
    );
  });

  it('keeps arrival order when priority is off (the A/B baseline)', async () => {
    const { socket, queue } = setup({ prioritizeFirstTokens: false });
    event(queue, tok('s_a', 7));
    event(queue, tok('s_b', 1));
    await tick();
    assert.deepEqual(
      socket.written.map((f) => (f as TokenFrame).streamId),
      ['s_a', 's_b'],
    );
  });

  it("pauses above the high-water mark and coalesces a stream's batches into one frame, losing nothing", async () => {
    const { socket, queue, stats } = setup({ highWaterBytes: 50 });
    event(queue, tok('s_a', 1, 'x'.repeat(60)));
    await tick();
    assert.equal(socket.written.length, 1);
    // The socket buffer is now above the mark: nothing more is written, later batches merge.
    for (let i = 2; i <= 10; i++) event(queue, tok('s_a', i, `[${i}]`));
    await tick();
    assert.equal(socket.written.length, 1);
    assert.equal(stats.backpressure, 1);
    socket.read();
    queue.drained();
    await tick();
    assert.equal(socket.written.length, 2);
    const merged = socket.written[1] as TokenFrame;
    assert.equal(merged.firstSeq, 2);
    assert.equal(merged.seq, 10);
    assert.equal(merged.text, '[2][3][4][5][6][7][8][9][10]');
    assert.equal(stats.coalesced, 8);
  });

  it('merges into a lone queued batch when the socket blocks before the flush', async () => {
    const { socket, queue, stats } = setup({ highWaterBytes: 50 });
    event(queue, tok('s_a', 1, 'a'));
    // The buffer fills before this turn's flush (another writer, or a frame written directly): now blocked.
    socket.buffered = 100;
    event(queue, tok('s_a', 2, 'b'));
    queue.control({ type: 'pong', ts: 1 });
    await tick();
    assert.equal(socket.written.length, 0);
    assert.equal(queue.pendingFrames, 2);
    socket.read();
    queue.drained();
    await tick();
    assert.deepEqual(
      socket.written.map((f) => f.type),
      ['pong', 'token'],
    );
    const merged = socket.written[1] as TokenFrame;
    assert.deepEqual([merged.firstSeq, merged.seq, merged.text], [1, 2, 'ab']);
    assert.equal(stats.coalesced, 1);
    assert.equal(queue.pendingFrames, 0);
  });

  it('keeps tool-call parts in order when it coalesces batches', async () => {
    const { socket, queue } = setup({ highWaterBytes: 50 });
    event(queue, tok('s_a', 1, 'x'.repeat(60)));
    await tick();
    event(queue, { ...tok('s_a', 2, ''), tools: [{ index: 0, id: 'c0', name: 'f', args: '{"a"' }] });
    event(queue, tok('s_a', 3, 'text'));
    event(queue, {
      ...tok('s_a', 4, ''),
      tools: [
        { index: 0, args: ': 1}' },
        { index: 0, end: true },
      ],
    });
    await tick();
    socket.read();
    queue.drained();
    await tick();
    const merged = socket.written[1] as TokenFrame;
    assert.equal(merged.firstSeq, 2);
    assert.equal(merged.seq, 4);
    assert.equal(merged.text, 'text');
    assert.deepEqual(merged.tools, [
      { index: 0, id: 'c0', name: 'f', args: '{"a"' },
      { index: 0, args: ': 1}' },
      { index: 0, end: true },
    ]);
  });

  it('does not merge across a stream end, nor batches of different streams', async () => {
    const { socket, queue } = setup({ highWaterBytes: 10 });
    event(queue, tok('s_a', 1, 'x'.repeat(20)));
    await tick();
    event(queue, tok('s_a', 2));
    event(queue, tok('s_b', 5));
    event(queue, tok('s_a', 3));
    event(queue, { type: 'stream-end', streamId: 's_a', conversationId: 'c', lastSeq: 3, finishReason: 'stop' });
    event(queue, tok('s_b', 6));
    socket.read();
    queue.drained();
    await tick();
    const rest = socket.written
      .slice(1)
      .map(
        (f) =>
          `${f.type}:${'streamId' in f ? f.streamId : ''}:${'firstSeq' in f ? f.firstSeq : ''}-${'seq' in f ? f.seq : ''}`,
      );
    assert.deepEqual(rest, ['token:s_a:2-3', 'token:s_b:5-6', 'stream-end:s_a:-']);
  });

  it('reports an overflow (never a silent drop) when the hard bound is passed', async () => {
    const { queue, stats } = setup({ highWaterBytes: 10, hardLimitBytes: 500 });
    event(queue, tok('s_a', 1, 'x'.repeat(20)));
    await tick();
    for (let i = 2; i < 100; i++) event(queue, tok('s_a', i, 'y'.repeat(20)));
    assert.equal(stats.overflow, 1);
  });

  it('measures first-token queueing latency', async () => {
    const { queue, stats } = setup();
    event(queue, tok('s_a', 1), performance.now());
    event(queue, tok('s_a', 2), performance.now());
    await tick();
    assert.equal(stats.firstLatencies.length, 1);
    assert.ok(stats.firstLatencies[0]! >= 0);
  });
});
