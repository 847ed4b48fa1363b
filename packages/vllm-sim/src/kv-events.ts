/**
 * vLLM's KV cache events (`--kv-events-config`), published the way vLLM's `ZmqEventPublisher` does (see
 * ../KV-EVENTS.md for the format with its sources):
 *
 * - a ZMQ PUB socket (bound, e.g. `tcp://*:5557`) sends one multipart message per engine step that changed the
 *   cache: `[topic, seq as 8-byte big-endian, payload]`, seq counting from 0;
 * - the payload is a msgpack `KVEventBatch` `[ts, events, data_parallel_rank]`; each event is a map tagged by
 *   `type` (vLLM after PR #42892) or, with `encoding: "array"`, a tag-first array (vLLM before it);
 * - an optional ROUTER socket (`replay_endpoint`) answers a request `[seq as 8 bytes]` (from a REQ or DEALER)
 *   with every buffered batch from that seq on, `[seq, payload]` each, then `[-1 as 8 bytes, ""]`.
 */
import { Publisher, Router } from 'zeromq';
import type { KvCacheEvent } from './kv-cache.js';
import { encodeMsgpack, F64, type MsgpackValue } from './msgpack-writer.js';

/** vLLM's `KVEventsConfig` fields (snake_case, as on its command line), plus the simulator's `encoding`. */
export interface KvEventsConfig {
  enable_kv_cache_events: boolean;
  publisher: 'zmq' | 'null';
  endpoint: string;
  replay_endpoint: string | null;
  buffer_steps: number;
  hwm: number;
  max_queue_size: number;
  topic: string;
  /** Simulator only: `map` (vLLM ≥ PR #42892, the default) or `array` (earlier vLLM). */
  encoding: 'map' | 'array';
}

/** vLLM's defaults (`vllm/config/kv_events.py`); events are off unless enabled. */
export const DEFAULT_KV_EVENTS: KvEventsConfig = {
  enable_kv_cache_events: false,
  publisher: 'zmq',
  endpoint: 'tcp://*:5557',
  replay_endpoint: null,
  buffer_steps: 10_000,
  hwm: 100_000,
  max_queue_size: 100_000,
  topic: '',
  encoding: 'map',
};

export class KvEventsConfigError extends Error {
  override readonly name = 'KvEventsConfigError';
}

/** Validates a partial config (an object, or the JSON text of `--kv-events-config`) over the defaults. */
export function resolveKvEventsConfig(partial: Partial<KvEventsConfig> | string = {}): KvEventsConfig {
  let input: unknown = partial;
  if (typeof partial === 'string') {
    try {
      input = JSON.parse(partial);
    } catch {
      throw new KvEventsConfigError(`--kv-events-config is not JSON: ${partial}`);
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new KvEventsConfigError('the KV events config must be a JSON object');
  const known = new Set(Object.keys(DEFAULT_KV_EVENTS));
  for (const key of Object.keys(input))
    if (!known.has(key)) throw new KvEventsConfigError(`unknown KV events setting "${key}"`);
  const config = { ...DEFAULT_KV_EVENTS, ...(input as Partial<KvEventsConfig>) };
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new KvEventsConfigError(message);
  };
  check(typeof config.enable_kv_cache_events === 'boolean', 'enable_kv_cache_events must be a boolean');
  check(config.publisher === 'zmq' || config.publisher === 'null', 'publisher must be "zmq" or "null"');
  check(
    typeof config.endpoint === 'string' && config.endpoint.startsWith('tcp://'),
    'endpoint must be tcp://host:port',
  );
  check(
    config.replay_endpoint === null ||
      (typeof config.replay_endpoint === 'string' && config.replay_endpoint.startsWith('tcp://')),
    'replay_endpoint must be null or tcp://host:port',
  );
  for (const key of ['buffer_steps', 'hwm', 'max_queue_size'] as const)
    check(Number.isInteger(config[key]) && config[key] >= 1, `${key} must be a positive integer`);
  check(typeof config.topic === 'string', 'topic must be a string');
  check(config.encoding === 'map' || config.encoding === 'array', 'encoding must be "map" or "array"');
  return config;
}

/** vLLM's field values for a full-attention model without LoRA, on the GPU tier. */
function eventValue(event: KvCacheEvent, encoding: 'map' | 'array'): MsgpackValue {
  switch (event.type) {
    case 'BlockStored':
      if (encoding === 'array')
        return [
          'BlockStored',
          event.blockHashes,
          event.parentBlockHash,
          event.tokenIds,
          event.blockSize,
          null,
          'GPU',
          null,
        ];
      return {
        type: 'BlockStored',
        block_hashes: event.blockHashes,
        parent_block_hash: event.parentBlockHash,
        token_ids: event.tokenIds,
        block_size: event.blockSize,
        lora_id: null,
        medium: 'GPU',
        lora_name: null,
        extra_keys: event.blockHashes.map(() => null),
        group_idx: 0,
        kv_cache_spec_kind: 'full_attention',
      };
    case 'BlockRemoved':
      if (encoding === 'array') return ['BlockRemoved', event.blockHashes, 'GPU'];
      return { type: 'BlockRemoved', block_hashes: event.blockHashes, medium: 'GPU', group_idx: 0 };
    case 'AllBlocksCleared':
      return encoding === 'array' ? ['AllBlocksCleared'] : { type: 'AllBlocksCleared' };
  }
}

/** One `KVEventBatch` as msgpack: `[ts, events, data_parallel_rank]`. */
export function encodeKvEventBatch(
  tsSeconds: number,
  events: readonly KvCacheEvent[],
  encoding: 'map' | 'array' = 'map',
  dataParallelRank = 0,
): Uint8Array {
  return encodeMsgpack([new F64(tsSeconds), events.map((e) => eventValue(e, encoding)), dataParallelRank]);
}

function seqBytes(seq: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(seq));
  return b;
}

/** Publishes batches on a PUB socket and serves replays on a ROUTER socket, as vLLM's ZmqEventPublisher. */
export class KvEventPublisher {
  /** Batches sent (and the next seq). */
  published = 0;
  /** Batches dropped because the send queue was full. */
  dropped = 0;
  private readonly buffer: { seq: number; payload: Uint8Array }[] = [];
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private readonly topic: Buffer;

  private constructor(
    readonly config: KvEventsConfig,
    private readonly pub: Publisher,
    private readonly replay: Router | undefined,
    /** The bound PUB endpoint (`tcp://host:port`, the port resolved when bound to `*`). */
    readonly endpoint: string,
    readonly replayEndpoint: string | undefined,
  ) {
    this.topic = Buffer.from(config.topic, 'utf8');
    if (replay) void this.serveReplays(replay);
  }

  /** Binds the sockets (`tcp://*:5557`, or `tcp://127.0.0.1:*` for a free port). */
  static async start(config: KvEventsConfig): Promise<KvEventPublisher> {
    const pub = new Publisher({ sendHighWaterMark: config.hwm, linger: 0 });
    await pub.bind(config.endpoint);
    let replay: Router | undefined;
    if (config.replay_endpoint) {
      replay = new Router({ linger: 0 });
      await replay.bind(config.replay_endpoint);
    }
    return new KvEventPublisher(
      config,
      pub,
      replay,
      pub.lastEndpoint ?? config.endpoint,
      replay?.lastEndpoint ?? undefined,
    );
  }

  /** Queues one batch (the events of one engine step). */
  publish(events: readonly KvCacheEvent[], tsSeconds = Date.now() / 1000): void {
    if (this.closed || events.length === 0) return;
    if (this.queued >= this.config.max_queue_size) {
      this.dropped++;
      return;
    }
    const seq = this.published++;
    const payload = encodeKvEventBatch(tsSeconds, events, this.config.encoding);
    this.buffer.push({ seq, payload });
    if (this.buffer.length > this.config.buffer_steps) this.buffer.shift();
    this.queued++;
    this.queue = this.queue
      .then(() => (this.closed ? undefined : this.pub.send([this.topic, seqBytes(seq), payload])))
      .catch(() => undefined)
      .finally(() => this.queued--);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    this.pub.close();
    this.replay?.close();
  }

  private async serveReplays(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        // [identity, "", start seq] from a REQ socket; a DEALER may omit the delimiter.
        const start = frames.length === 3 ? frames[2]! : frames.length === 2 ? frames[1]! : undefined;
        if (!start || start.length !== 8) continue;
        const identity = frames[0]!;
        const from = start.readBigUInt64BE();
        for (const { seq, payload } of [...this.buffer]) {
          if (BigInt(seq) >= from) await router.send([identity, '', seqBytes(seq), payload]);
        }
        await router.send([identity, '', seqBytes(-1), '']);
      }
    } catch {
      // The socket was closed.
    }
  }
}
