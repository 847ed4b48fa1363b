#!/usr/bin/env node
/**
 * Reading a stream's `data:` payloads: `readChunk` (a full JSON.parse of each chunk, the floor a careful reader
 * starts from) against `ChunkReader` (the bridge's reader, which slices plain content chunks out of a learned
 * head), on real streams recorded from an `llc-vllm-sim` process (vLLM's chunk layout, markdown with escapes).
 * Interleaved rounds in one process; prints µs per payload of each and their ratio (median of the rounds).
 *
 *   node bench/bridge/chunk-read.mjs [--streams 20] [--max-tokens 300] [--rounds 7]
 */
import { fileURLToPath } from 'node:url';
import { ChunkReader, readChunk } from '../../packages/inference-bridge/dist/backends/openai-chunks.js';
import { cliOptions, startProcess } from '../lib/proc.mjs';

const { option: arg } = cliOptions();
const STREAMS = Number(arg('streams', 20));
const MAX_TOKENS = Number(arg('max-tokens', 300));
const ROUNDS = Number(arg('rounds', 7));
const REPEAT = 200;

/** The `data:` payloads of `STREAMS` answers, one array per stream. */
async function recordStreams() {
  const sim = await startProcess(
    process.execPath,
    [
      fileURLToPath(new URL('../../packages/vllm-sim/dist/cli/sim-cli.js', import.meta.url)),
      '--port',
      '0',
      '--profile',
      'fast',
    ],
    /listening on (http:\/\/\S+)/,
    { logLevel: null },
  );
  try {
    const base = sim.match[1];
    const { data } = await (await fetch(`${base}/models`)).json();
    return await Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        const response = await fetch(`${base}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: data[0].id,
            messages: [{ role: 'user', content: `question ${i}` }],
            stream: true,
            max_tokens: MAX_TOKENS,
          }),
        });
        const text = await response.text();
        return text
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice('data: '.length));
      }),
    );
  } finally {
    await sim.stop();
  }
}

/** µs per payload reading every stream `REPEAT` times, a fresh reader per stream as the bridge has. */
function time(streams, makeReader) {
  let payloads = 0;
  let sink = 0;
  const t0 = performance.now();
  for (let r = 0; r < REPEAT; r++) {
    for (const stream of streams) {
      const reader = makeReader();
      for (const data of stream) {
        const reading = reader.read(data);
        if (reading.kind === 'chunk') sink += reading.text.length;
        payloads++;
      }
    }
  }
  return { us: ((performance.now() - t0) * 1000) / payloads, sink };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const streams = await recordStreams();
const full = { read: readChunk };
const readers = { readChunk: () => full, ChunkReader: () => new ChunkReader() };
const results = { readChunk: [], ChunkReader: [] };
let checked = 0;
for (const stream of streams) {
  const reader = new ChunkReader();
  for (const data of stream) {
    if (JSON.stringify(reader.read(data)) !== JSON.stringify(readChunk(data))) throw new Error(`differs: ${data}`);
    checked++;
  }
}
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [name, make] of Object.entries(readers)) {
    const { us } = time(streams, make);
    if (round > 0) results[name].push(us); // round 0 warms both up
  }
}
const payloads = streams.reduce((n, s) => n + s.length, 0);
const line = (name) =>
  `${name}: ${median(results[name]).toFixed(3)} µs per payload (${Math.min(...results[name]).toFixed(3)}–${Math.max(...results[name]).toFixed(3)})`;
console.log(`${STREAMS} recorded streams, ${payloads} payloads (${checked} read alike by both), ${ROUNDS} rounds`);
console.log(line('readChunk'));
console.log(line('ChunkReader'));
console.log(`ratio ChunkReader / readChunk: ${(median(results.ChunkReader) / median(results.readChunk)).toFixed(2)}×`);
