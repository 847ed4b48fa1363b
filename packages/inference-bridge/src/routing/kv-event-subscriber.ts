/**
 * Subscribes to every replica's KV events (vLLM `--kv-events-config`: a ZMQ PUB socket per replica, messages
 * `[topic, seq (8 bytes, big-endian), msgpack batch]`) and hands the decoded events to a callback, per replica.
 *
 * Sequence numbers make loss visible: when a message's seq skips ahead (a slow subscriber past the publisher's
 * high-water mark, or events sent before we connected) and the replica has a replay endpoint, the missing
 * batches are fetched from it (a DEALER sends `["", start seq]`; the ROUTER answers `["", seq, payload]` per
 * batch, then seq −1) before the new message is applied. Without a replay endpoint the gap is counted and the
 * index stays approximate until those blocks are evicted or stored again.
 */
import { Dealer, Subscriber } from 'zeromq';
import { decodeKvEventBatch, KvEventDecodeError, type KvEvent } from './kv-event-codec.js';

export interface KvEventSource {
  /** The replica's PUB endpoint, e.g. `tcp://gpu-1:5557`. */
  endpoint: string;
  /** Its replay (ROUTER) endpoint, e.g. `tcp://gpu-1:5558`. */
  replayEndpoint?: string;
  /** Topic prefix to subscribe to (vLLM's `topic`; default all). */
  topic?: string;
}

export interface KvSubscriptionStats {
  endpoint: string;
  batches: number;
  events: number;
  /** Seq numbers skipped (before replays filled them). */
  missed: number;
  replayed: number;
  decodeErrors: number;
  lastSeq: number;
  lastError?: string;
}

export interface KvEventSubscriberOptions {
  /** Called with each batch's events, in seq order per replica. */
  onEvents: (replica: number, events: readonly KvEvent[]) => void;
  /** How long to wait for a replay's end marker, ms (default 2,000). */
  replayTimeoutMs?: number;
  /** Ask for a replay from seq 0 when the first message is not seq 0 (default true): catches up on start. */
  catchUpOnStart?: boolean;
}

const END_OF_REPLAY = -1n;

function seqOf(frame: Buffer | undefined): bigint | undefined {
  return frame && frame.length === 8 ? frame.readBigInt64BE() : undefined;
}

class Subscription {
  readonly stats: KvSubscriptionStats;
  private readonly sub = new Subscriber({ linger: 0 });
  private replay?: Dealer;
  private last = -1n;
  private closed = false;

  constructor(
    readonly replica: number,
    readonly source: KvEventSource,
    private readonly options: Required<Omit<KvEventSubscriberOptions, 'onEvents'>> & KvEventSubscriberOptions,
  ) {
    this.stats = {
      endpoint: source.endpoint,
      batches: 0,
      events: 0,
      missed: 0,
      replayed: 0,
      decodeErrors: 0,
      lastSeq: -1,
    };
  }

  start(): void {
    this.sub.connect(this.source.endpoint);
    this.sub.subscribe(this.source.topic ?? '');
    if (this.source.replayEndpoint) {
      this.replay = new Dealer({ linger: 0, receiveTimeout: this.options.replayTimeoutMs });
      this.replay.connect(this.source.replayEndpoint);
    }
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.sub.close();
    this.replay?.close();
  }

  private async run(): Promise<void> {
    try {
      for await (const frames of this.sub) {
        if (this.closed) return;
        const seq = seqOf(frames[1]);
        if (frames.length !== 3 || seq === undefined) {
          this.stats.decodeErrors++;
          this.stats.lastError = `expected [topic, seq, payload], got ${frames.length} frames`;
          continue;
        }
        const first = this.last < 0n;
        if (seq > this.last + 1n && (!first || this.options.catchUpOnStart))
          await this.fillGap(first ? 0n : this.last + 1n, seq);
        if (seq <= this.last) continue; // already applied by a replay
        this.apply(seq, frames[2]!);
      }
    } catch (error) {
      if (!this.closed) this.stats.lastError = error instanceof Error ? error.message : String(error);
    }
  }

  private async fillGap(from: bigint, to: bigint): Promise<void> {
    const replay = this.replay;
    if (replay) {
      try {
        const start = Buffer.alloc(8);
        start.writeBigInt64BE(from);
        await replay.send(['', start]);
        for (;;) {
          const frames = await replay.receive();
          // ["", seq, payload] (the ROUTER keeps the REQ-style empty delimiter).
          const body = frames[0]?.length === 0 ? frames.slice(1) : frames;
          const seq = seqOf(body[0]);
          if (seq === undefined || seq === END_OF_REPLAY) break;
          if (seq > this.last && seq < to) {
            this.apply(seq, body[1]!);
            this.stats.replayed++;
          }
        }
      } catch (error) {
        this.stats.lastError = `replay: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (to > this.last + 1n) this.stats.missed += Number(to - this.last - 1n);
  }

  private apply(seq: bigint, payload: Buffer): void {
    this.last = seq;
    this.stats.lastSeq = Number(seq);
    try {
      const batch = decodeKvEventBatch(payload);
      this.stats.batches++;
      this.stats.events += batch.events.length;
      this.options.onEvents(this.replica, batch.events);
    } catch (error) {
      this.stats.decodeErrors++;
      this.stats.lastError = error instanceof KvEventDecodeError ? error.message : String(error);
    }
  }
}

/** One SUB socket per replica (index = position in `sources`; undefined = that replica publishes none). */
export class KvEventSubscriber {
  private readonly subscriptions: Subscription[] = [];

  constructor(sources: readonly (KvEventSource | undefined)[], options: KvEventSubscriberOptions) {
    const resolved = { replayTimeoutMs: 2000, catchUpOnStart: true, ...options };
    sources.forEach((source, replica) => {
      if (source) this.subscriptions.push(new Subscription(replica, source, resolved));
    });
  }

  start(): this {
    for (const s of this.subscriptions) s.start();
    return this;
  }

  close(): void {
    for (const s of this.subscriptions) s.close();
  }

  stats(): KvSubscriptionStats[] {
    return this.subscriptions.map((s) => ({ ...s.stats }));
  }
}
