/**
 * The outbound scheduler of one socket.
 *
 * Three lanes, drained in order: control (acks, errors, pongs, history), first (stream starts, the first token
 * batch of each stream, message echoes — what a user perceives as latency), stream (every later batch). Within a
 * stream, order is kept: a stream's later batches never overtake its first one, because they sit behind it in
 * lane order.
 *
 * Sending stops while the socket's kernel/uWS buffer is above `highWaterBytes`. While blocked, a new batch of a
 * stream whose previous batch is still queued is merged into it (one frame covering `firstSeq..seq`), so a
 * slow reader receives fewer, larger frames instead of an unbounded backlog — nothing is dropped. If the
 * queue still grows past `hardLimitBytes` the socket is closed with a resumable code; the client reconnects
 * and resumes from its last seq.
 *
 * Flushing happens once per microtask turn: everything enqueued while handling one broker delivery (or one
 * client frame) goes out in one corked write. One relay-wide microtask flushes every queue that has something
 * (not a microtask and a closure per socket), and the hot path allocates nothing beyond the queue entry: the
 * per-stream merge index exists only while the socket is blocked (profiles: bench/README.md).
 */
import {
  encodeFrame,
  firstSeqOf,
  followsBatch,
  mergeBatches,
  type ServerFrame,
  type TokenFrame,
} from '@locallightchat/protocol';
import { withDefaults } from '../options.js';
import { Fifo } from './fifo.js';

/** What the queue needs from a socket (a uWS WebSocket or an SSE response; a fake in unit tests). */
export interface SocketSink {
  /** 1 = sent, 0 = sent but buffered (backpressure), 2 = dropped (must not happen: we stay below the limit). */
  send(bytes: Uint8Array): number;
  bufferedAmount(): number;
  cork(fn: () => void): void;
}

/** Settings of a {@link SendQueue} (resolved once per relay with {@link resolveSendQueueOptions}). */
export interface SendQueueOptions {
  /** Stop writing while the socket buffers more than this. */
  highWaterBytes: number;
  /** Close the socket (resumable) when queued + buffered bytes exceed this. */
  hardLimitBytes: number;
  /** When false, first-token frames wait in the stream lane like any other (for A/B benchmarks). */
  prioritizeFirstTokens: boolean;
}

/** The relay's defaults (`sendHighWaterBytes`, `sendHardLimitBytes`, `prioritizeFirstTokens` in RelayConfig). */
export const DEFAULT_SEND_QUEUE_OPTIONS: SendQueueOptions = {
  highWaterBytes: 256 * 1024,
  hardLimitBytes: 8 * 1024 * 1024,
  prioritizeFirstTokens: true,
};

/**
 * Resolved once per relay and shared by every queue: a queue keeps a reference, not a copy (memory per idle
 * socket is the budget).
 */
export function resolveSendQueueOptions(partial: Partial<SendQueueOptions> = {}): SendQueueOptions {
  const options: SendQueueOptions = withDefaults(DEFAULT_SEND_QUEUE_OPTIONS, partial);
  if (options.highWaterBytes >= options.hardLimitBytes) {
    throw new RangeError('highWaterBytes must be below hardLimitBytes');
  }
  return options;
}

/** What the queue tells its owner (the connection): metrics, and an overflow it must act on. */
export interface SendQueueEvents {
  /** A frame was written; `firstTokenLatencyMs` when it was a stream's first token. */
  onSent(count: number, firstTokenLatencyMs?: number): void;
  onBackpressure(): void;
  onCoalesced(): void;
  /** The hard bound was passed: the owner must close the socket with a resumable code. */
  onOverflow(): void;
  /** A flush wrote everything queued: the owner may add more (a replay paced by the socket, paced-replay.ts). */
  onWritable?(): void;
}

interface Entry {
  frame: ServerFrame;
  /** Encoded bytes, when still valid (cleared when the entry absorbed another batch). */
  bytes: Uint8Array | undefined;
  size: number;
  /** performance.now() when a first token entered the queue, for the first-token histogram. */
  firstTokenAt: number | undefined;
}

type Lanes = readonly [Fifo<Entry>, Fifo<Entry>, Fifo<Entry>];

const enum Lane {
  Control = 0,
  First = 1,
  Stream = 2,
}

/** The outbound queue of one connection (see the module comment). */
export class SendQueue {
  /**
   * The lanes, created by the first frame and dropped again whenever the queue empties: an idle socket holds
   * none of these four objects (each accepted connection's welcome used to leave them behind for good, copied
   * by the young-generation GC and then kept; bench/results/2026-12-05/accept-path.md).
   */
  private laneSet: Lanes | undefined;
  /**
   * The newest still-queued token entry of each stream, where later batches can be merged while blocked.
   * Created on first use: most sockets are idle most of the time, and memory per idle socket is the budget.
   */
  private openBatchMap: Map<string, Entry> | undefined;
  private queuedBytes = 0;
  private flushScheduled = false;
  private blocked = false;
  private closed = false;

  constructor(
    private readonly sink: SocketSink,
    private readonly options: SendQueueOptions,
    private readonly events: SendQueueEvents,
  ) {}

  /** Whether a flush is due (scheduled and not yet run). */
  get isFlushScheduled(): boolean {
    return this.flushScheduled;
  }

  /** Bytes waiting in this queue (not yet handed to the socket). */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Whether the socket takes more now: queued and buffered bytes together under the high-water mark. */
  hasRoom(): boolean {
    return this.queuedBytes + this.sink.bufferedAmount() <= this.options.highWaterBytes;
  }

  get pendingFrames(): number {
    const lanes = this.laneSet;
    return lanes ? lanes[0].length + lanes[1].length + lanes[2].length : 0;
  }

  /**
   * The merge index, built from the queued token entries when first needed (the socket just became blocked);
   * dropped again when the queue empties.
   */
  private get openBatch(): Map<string, Entry> {
    if (this.openBatchMap) return this.openBatchMap;
    const index = new Map<string, Entry>();
    for (const lane of this.laneSet ? [this.laneSet[1], this.laneSet[2]] : []) {
      lane.forEach((entry) => {
        if (entry.frame.type === 'token') index.set(entry.frame.streamId, entry);
      });
    }
    return (this.openBatchMap = index);
  }

  /** Replies and notices. */
  control(frame: ServerFrame, bytes = encodeFrame(frame)): void {
    this.push(Lane.Control, { frame, bytes, size: bytes.byteLength, firstTokenAt: undefined });
  }

  /**
   * A conversation event (stream start, token batch, end, queue position, message echo). `bytes` is the
   * already-encoded frame (as received from the broker) and is sent as is unless the entry is merged.
   */
  event(frame: ServerFrame, bytes: Uint8Array, receivedAt?: number): void {
    if (this.closed) return;
    const isFirst =
      frame.type === 'stream-start' || frame.type === 'message' || (frame.type === 'token' && firstSeqOf(frame) === 1);
    if (frame.type === 'token') {
      const blocked = this.isBlocked();
      if (blocked && this.tryMerge(frame)) return;
      const entry: Entry = { frame, bytes, size: bytes.byteLength, firstTokenAt: undefined };
      if (isFirst && receivedAt !== undefined) entry.firstTokenAt = receivedAt;
      // Only a blocked socket merges: the index of mergeable entries is kept while blocked (built when needed).
      if (blocked) this.openBatch.set(frame.streamId, entry);
      this.push(isFirst && this.options.prioritizeFirstTokens ? Lane.First : Lane.Stream, entry);
      return;
    }
    if (frame.type === 'stream-end') this.openBatchMap?.delete(frame.streamId);
    const lane = isFirst && this.options.prioritizeFirstTokens ? Lane.First : Lane.Stream;
    this.push(lane, { frame, bytes, size: bytes.byteLength, firstTokenAt: undefined });
  }

  /** The socket drained: try again. */
  drained(): void {
    this.scheduleFlush();
  }

  /** The socket closed: drop everything (the client resumes from its last seq on reconnect). */
  close(): void {
    this.closed = true;
    this.openBatchMap = undefined;
  }

  /** Writes now (normally called from a microtask; exposed for tests and for draining before close). */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    writeCorked(this.sink, this);
  }

  /** The body of {@link flush}, inside the socket's cork (through {@link writeCorkedQueue}: no closure per flush). */
  writeQueued(): void {
    // Counted once per flush (a metric update per frame showed up in profiles); first tokens individually.
    let sent = 0;
    for (;;) {
      const lane = this.nextLane();
      const lanes = this.laneSet;
      if (lane === undefined || lanes === undefined) break;
      if (this.sink.bufferedAmount() > this.options.highWaterBytes) {
        if (!this.blocked) this.events.onBackpressure();
        this.blocked = true;
        break;
      }
      const entry = lanes[lane].shift()!;
      this.queuedBytes -= entry.size;
      if (this.openBatchMap && entry.frame.type === 'token' && this.openBatchMap.get(entry.frame.streamId) === entry) {
        this.openBatchMap.delete(entry.frame.streamId);
      }
      const bytes = entry.bytes ?? encodeFrame(entry.frame);
      const status = this.sink.send(bytes);
      if (status === 2) {
        // uWS dropped it: our high-water mark is below maxBackpressure, so this means a misconfiguration.
        // Never drop silently: close resumably and let the client resume.
        this.closed = true;
        if (sent) this.events.onSent(sent);
        this.events.onOverflow();
        return;
      }
      if (entry.firstTokenAt !== undefined) this.events.onSent(1, performance.now() - entry.firstTokenAt);
      else sent++;
    }
    if (sent) this.events.onSent(sent);
    if (this.pendingFrames === 0) {
      this.blocked = false;
      this.openBatchMap = undefined;
      this.laneSet = undefined;
      this.events.onWritable?.();
    }
  }

  /** Blocked = a flush found the buffer full and has not emptied the queue since, or the buffer is full now. */
  private isBlocked(): boolean {
    return this.blocked || this.sink.bufferedAmount() > this.options.highWaterBytes;
  }

  private nextLane(): Lane | undefined {
    const lanes = this.laneSet;
    if (!lanes) return undefined;
    if (lanes[0].length) return Lane.Control;
    if (lanes[1].length) return Lane.First;
    if (lanes[2].length) return Lane.Stream;
    return undefined;
  }

  private push(lane: Lane, entry: Entry): void {
    if (this.closed) return;
    (this.laneSet ??= [new Fifo<Entry>(), new Fifo<Entry>(), new Fifo<Entry>()])[lane].push(entry);
    this.queuedBytes += entry.size;
    if (this.queuedBytes + this.sink.bufferedAmount() > this.options.hardLimitBytes) {
      this.closed = true;
      this.events.onOverflow();
      return;
    }
    this.scheduleFlush();
  }

  /** Merges a batch into its stream's queued batch when they are consecutive. */
  private tryMerge(frame: TokenFrame): boolean {
    const open = this.openBatch.get(frame.streamId);
    if (!open || open.frame.type !== 'token') return false;
    const prev = open.frame;
    if (!followsBatch(prev, frame)) return false;
    const merged = mergeBatches(prev, frame);
    // A frame holds at most MAX_TOOL_PARTS parts: past that the batch is queued on its own.
    if (!merged) return false;
    const added =
      frame.text.length +
      (frame.reasoning?.length ?? 0) +
      (frame.tools?.reduce((n, p) => n + (p.args?.length ?? 0) + 16, 0) ?? 0);
    open.frame = merged;
    open.bytes = undefined;
    open.size += added;
    this.queuedBytes += added;
    this.events.onCoalesced();
    if (this.queuedBytes + this.sink.bufferedAmount() > this.options.hardLimitBytes) {
      this.closed = true;
      this.events.onOverflow();
    }
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    toFlush.push(this);
    if (toFlush.length === 1) queueMicrotask(flushAll);
  }
}

/** Queues with something to write, flushed together by one microtask. */
let toFlush: SendQueue[] = [];

function flushAll(): void {
  const queues = toFlush;
  toFlush = [];
  // A queue closed or flushed directly since it was scheduled has nothing to do (flush checks both).
  for (const queue of queues) if (queue.isFlushScheduled) queue.flush();
}

/** The queue whose cork is open (flush → uWS cork → {@link writeCorkedQueue}). */
let corkedQueue: SendQueue | undefined;

function writeCorkedQueue(): void {
  corkedQueue?.writeQueued();
}

/** Opens `sink`'s cork and writes `queue` inside it. */
function writeCorked(sink: SocketSink, queue: SendQueue): void {
  const outer = corkedQueue;
  corkedQueue = queue;
  try {
    sink.cork(writeCorkedQueue);
  } finally {
    corkedQueue = outer;
  }
}
