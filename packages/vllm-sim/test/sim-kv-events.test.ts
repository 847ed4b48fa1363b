/**
 * The simulator's KV events decode with plain subscribers written from vLLM's format (KV-EVENTS.md), not with
 * our own decoder: a ZMQ SUB socket (zeromq) + msgpackr here, and — where Debian's python3-zmq and
 * python3-msgpack are installed — pyzmq + msgpack in Python, an implementation independent of ours on both the
 * ZMQ and the msgpack side. Checked: the 3-frame messages, topic, 8-byte big-endian seq from 0, the batch
 * `[ts, events, data_parallel_rank]`, BlockStored chaining (parent = previous block's hash, 16 token ids per
 * block), BlockRemoved on eviction, AllBlocksCleared on reset, the replay socket, and the legacy array encoding.
 */
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { Unpackr } from 'msgpackr';
import { Dealer, Subscriber } from 'zeromq';
import { SimPromptTokenizer, startSimulator, type RunningSimulator } from '../src/internal.js';

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
type Batch = [number, Record<string, unknown>[] | unknown[][], number];

async function chat(sim: RunningSimulator, system: string, question: string): Promise<void> {
  const res = await fetch(`${sim.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: question },
      ],
      max_tokens: 4,
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.json();
}

async function collect(sub: Subscriber, n: number, timeoutMs = 5000): Promise<Buffer[][]> {
  const out: Buffer[][] = [];
  const deadline = Date.now() + timeoutMs;
  sub.receiveTimeout = 200;
  while (out.length < n && Date.now() < deadline) {
    try {
      out.push(await sub.receive());
    } catch {
      // receive timeout: try again until the deadline
    }
  }
  return out;
}

const SYSTEM = 'Policies of the ACME help desk. ' + 'Answer politely and cite the section. '.repeat(60);

describe('KV events (ZMQ PUB + msgpack, vLLM format)', () => {
  it('decode with a plain zeromq + msgpack subscriber: frames, seq, BlockStored chain, BlockRemoved, AllBlocksCleared, replay', async () => {
    const sim = await startSimulator({
      profile: 'fast',
      kvCacheTokens: 2048, // 128 blocks: the third prompt evicts
      maxModelLen: 2048,
      kvEvents: {
        enable_kv_cache_events: true,
        endpoint: 'tcp://127.0.0.1:*',
        replay_endpoint: 'tcp://127.0.0.1:*',
        topic: 'kv@sim-0@llama',
      },
    });
    const sub = new Subscriber({ linger: 0 });
    try {
      sub.connect(sim.kvEvents!.endpoint);
      sub.subscribe('kv@');
      await new Promise((r) => setTimeout(r, 300)); // the SUB connects before anything is published
      await chat(sim, SYSTEM, 'How do I reset my password?');
      const first = await collect(sub, 1);
      assert.equal(first.length, 1);
      const [topic, seq, payload] = first[0]!;
      assert.equal(first[0]!.length, 3);
      assert.equal(topic!.toString(), 'kv@sim-0@llama');
      assert.equal(seq!.length, 8);
      assert.equal(seq!.readBigUInt64BE(), 0n);
      const batch = unpackr.unpack(payload!) as Batch;
      assert.equal(batch.length, 3);
      assert.equal(typeof batch[0], 'number');
      assert.ok(Math.abs(batch[0] - Date.now() / 1000) < 60, 'ts is wall-clock seconds');
      assert.equal(batch[2], 0, 'data_parallel_rank');
      const stored = batch[1][0] as Record<string, unknown>;
      assert.equal(stored.type, 'BlockStored');
      // uint64 on the wire (msgpack 0xcf for large values): msgpackr gives bigint for those.
      const hashes = (stored.block_hashes as (number | bigint)[]).map((h) => BigInt(h));
      const tokens = stored.token_ids as number[];
      const prompt = new SimPromptTokenizer(16).chat([
        { role: 'system', content: SYSTEM },
        { role: 'user', content: 'How do I reset my password?' },
      ]);
      assert.equal(hashes.length, Math.floor(prompt.length / 16));
      assert.deepEqual(
        tokens,
        prompt.slice(0, hashes.length * 16),
        'token_ids are the prompt tokens of the stored blocks',
      );
      assert.equal(stored.parent_block_hash, null);
      assert.equal(stored.block_size, 16);
      assert.equal(stored.medium, 'GPU');
      assert.equal(new Set(hashes).size, hashes.length);
      for (const h of hashes) assert.ok(h >= 0n && h < 2n ** 64n);

      // A second question with the same system prompt stores only its new blocks, chained to the shared ones.
      await chat(sim, SYSTEM, 'And how do I change my e-mail address, please?');
      const more = await collect(sub, 5, 1500);
      const storedAgain = more
        .map((m) => unpackr.unpack(m[2]!) as Batch)
        .flatMap((b) => b[1] as Record<string, unknown>[])
        .filter((e) => e.type === 'BlockStored');
      assert.ok(storedAgain.length >= 1);
      const parent = BigInt(storedAgain[0]!.parent_block_hash as number | bigint);
      assert.ok(hashes.includes(parent), 'the new blocks chain onto a block of the shared prefix');

      // A long unrelated prompt evicts blocks: BlockRemoved names hashes that were stored.
      await chat(sim, 'Completely different instructions. ' + 'Other words entirely here. '.repeat(280), 'x');
      const later = (await collect(sub, 20, 1500)).map((m) => unpackr.unpack(m[2]!) as Batch);
      const removed = later.flatMap((b) => b[1] as Record<string, unknown>[]).filter((e) => e.type === 'BlockRemoved');
      assert.ok(removed.length > 0, 'eviction published BlockRemoved');
      assert.ok(removed.every((e) => (e.block_hashes as number[]).length === 1 && e.medium === 'GPU'));

      await fetch(`${sim.origin}/reset_prefix_cache`, { method: 'POST' });
      const cleared = (await collect(sub, 1)).map((m) => unpackr.unpack(m[2]!) as Batch);
      assert.deepEqual(cleared[0]?.[1], [{ type: 'AllBlocksCleared' }]);

      // Replay: a DEALER asks from seq 1 and gets every buffered batch from there, then seq -1 with "".
      const replay = new Dealer({ linger: 0, receiveTimeout: 2000 });
      replay.connect(sim.kvEvents!.replayEndpoint!);
      const start = Buffer.alloc(8);
      start.writeBigInt64BE(1n);
      await replay.send(['', start]);
      const seqs: bigint[] = [];
      for (;;) {
        const [empty, s, p] = await replay.receive();
        assert.equal(empty!.length, 0);
        const n = s!.readBigInt64BE();
        if (n === -1n) {
          assert.equal(p!.length, 0);
          break;
        }
        seqs.push(n);
      }
      replay.close();
      assert.equal(seqs[0], 1n);
      assert.equal(seqs.length, sim.kvEvents!.published - 1);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => BigInt(i + 1)),
      );
    } finally {
      sub.close();
      await sim.close();
    }
  });

  it('emits the legacy tag-first arrays with encoding "array"', async () => {
    const sim = await startSimulator({
      profile: 'fast',
      kvEvents: { enable_kv_cache_events: true, endpoint: 'tcp://127.0.0.1:*', encoding: 'array' },
    });
    const sub = new Subscriber({ linger: 0 });
    try {
      sub.connect(sim.kvEvents!.endpoint);
      sub.subscribe();
      await new Promise((r) => setTimeout(r, 300));
      await chat(sim, SYSTEM, 'hello');
      const [msg] = await collect(sub, 1);
      const batch = unpackr.unpack(msg![2]!) as Batch;
      const e = batch[1][0] as unknown[];
      assert.equal(e[0], 'BlockStored');
      assert.ok(Array.isArray(e[1]));
      assert.equal(e[2], null);
      assert.equal(e[4], 16);
      assert.deepEqual(e.slice(5), [null, 'GPU', null]);
    } finally {
      sub.close();
      await sim.close();
    }
  });

  const python = '/usr/bin/python3';
  const hasPyzmq = spawnSync(python, ['-c', 'import zmq, msgpack'], { stdio: 'ignore' }).status === 0;
  it(
    'decode with an independent Python subscriber (pyzmq + msgpack)',
    { skip: !hasPyzmq && 'Debian python3-zmq / python3-msgpack not installed' },
    async () => {
      const sim = await startSimulator({
        profile: 'fast',
        kvEvents: {
          enable_kv_cache_events: true,
          endpoint: 'tcp://127.0.0.1:*',
          replay_endpoint: 'tcp://127.0.0.1:*',
          topic: 'kv',
        },
      });
      try {
        const script = `
import json, sys, zmq, msgpack
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB); sub.connect(sys.argv[1]); sub.setsockopt(zmq.SUBSCRIBE, b"kv")
print("ready", flush=True)
if not sub.poll(5000): sys.exit("no message")
topic, seq, payload = sub.recv_multipart()
ts, events, rank = msgpack.unpackb(payload, raw=False)
assert isinstance(ts, float), ts
replay = ctx.socket(zmq.DEALER); replay.connect(sys.argv[2])
replay.send_multipart([b"", (0).to_bytes(8, "big")])
replayed = []
while replay.poll(2000):
    _, s, p = replay.recv_multipart()
    n = int.from_bytes(s, "big", signed=True)
    if n == -1: break
    replayed.append(n)
print(json.dumps({"topic": topic.decode(), "seq": int.from_bytes(seq, "big"), "rank": rank, "events": events, "replayed": replayed}), flush=True)
`;
        const child = spawn(python, ['-c', script, sim.kvEvents!.endpoint, sim.kvEvents!.replayEndpoint!]);
        let out = '';
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        await new Promise<void>((resolve) =>
          child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes('ready') && resolve())),
        );
        await new Promise((r) => setTimeout(r, 300));
        await chat(sim, SYSTEM, 'hello from python');
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        assert.equal(code, 0, err);
        const result = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as {
          topic: string;
          seq: number;
          rank: number;
          events: { type: string; block_hashes: number[]; token_ids: number[]; block_size: number }[];
          replayed: number[];
        };
        assert.equal(result.topic, 'kv');
        assert.equal(result.seq, 0);
        assert.equal(result.rank, 0);
        const stored = result.events[0]!;
        assert.equal(stored.type, 'BlockStored');
        assert.equal(stored.token_ids.length, stored.block_hashes.length * stored.block_size);
        assert.deepEqual(result.replayed.slice(0, 1), [0]);
      } finally {
        await sim.close();
      }
    },
  );
});
