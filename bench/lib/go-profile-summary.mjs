// Summarises a Go CPU profile (pprof's gzipped protobuf, as nats-server serves it at
// /debug/pprof/profile?seconds=N when started with `--profile <port>`) without Go's toolchain, which this machine
// lacks: the profile names its functions itself (Go symbolises from its own tables, so a stripped binary such as
// Debian's nats-server still gives names). Self and cumulative shares by function, and nats-server's work split
// by what it was doing (`NATS_STAGES`; cumulative, so a stage includes what it calls).
//
//   node bench/lib/go-profile-summary.mjs <file.pprof.gz> [--top 20]   (markdown)
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** [stage, test on a function name]; a sample counts toward every stage one of its frames matches. */
export const NATS_STAGES = [
  [
    "a consumer looking for its filter's next message in the file store (fileStore.LoadNextMsg)",
    (fn) => fn.endsWith('(*fileStore).LoadNextMsg'),
  ],
  ['storing a published message (stream.processJetStreamMsg)', (fn) => fn.endsWith('(*stream).processJetStreamMsg')],
  [
    'JetStream API requests (consumer create/delete, stream info)',
    (fn) => /server\.\(\*Server\)\.js\w+Request$/.test(fn),
  ],
  ['client connections: read and parse', (fn) => fn.endsWith('(*client).readLoop')],
  ['client connections: write', (fn) => fn.endsWith('(*client).writeLoop') || fn.endsWith('(*client).flushOutbound')],
  ["Go's garbage collector (background mark)", (fn) => fn === 'runtime.gcBgMarkWorker'],
];

/** Reads a varint at `at.i` of `buf`, moving `at.i` past it. */
function varint(buf, at) {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[at.i++];
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result;
    scale *= 128;
  }
}

/** Reads a protobuf message's fields: [field number, wire type, value (number or bytes)]. */
function* fields(buf) {
  const at = { i: 0 };
  while (at.i < buf.length) {
    const key = varint(buf, at);
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 0) yield [field, wire, varint(buf, at)];
    else if (wire === 2) {
      const length = varint(buf, at);
      yield [field, wire, buf.subarray(at.i, (at.i += length))];
    } else if (wire === 1) yield [field, wire, buf.subarray(at.i, (at.i += 8))];
    else if (wire === 5) yield [field, wire, buf.subarray(at.i, (at.i += 4))];
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** A repeated varint field: packed (bytes) or one number. */
function numbers(value) {
  if (typeof value === 'number') return [value];
  const out = [];
  const at = { i: 0 };
  while (at.i < value.length) out.push(varint(value, at));
  return out;
}

/** The profile's samples as stacks of function names (leaf first) with their CPU nanoseconds. */
export function readGoProfile(gzipped) {
  const buf = gunzipSync(gzipped);
  const samples = [];
  const locations = new Map();
  const functions = new Map();
  const strings = [];
  for (const [field, , value] of fields(buf)) {
    if (field === 2) {
      const ids = [];
      const values = [];
      for (const [f, , v] of fields(value)) {
        if (f === 1) ids.push(...numbers(v));
        if (f === 2) values.push(...numbers(v));
      }
      samples.push({ ids, nanos: values.at(-1) ?? 0 });
    } else if (field === 4) {
      let id = 0;
      const fns = [];
      for (const [f, , v] of fields(value)) {
        if (f === 1) id = v;
        if (f === 4) for (const [g, , w] of fields(v)) if (g === 1) fns.push(w);
      }
      locations.set(id, fns);
    } else if (field === 5) {
      let id = 0;
      let name = 0;
      for (const [f, , v] of fields(value)) {
        if (f === 1) id = v;
        if (f === 2) name = v;
      }
      functions.set(id, name);
    } else if (field === 6) strings.push(Buffer.from(value).toString('utf8'));
  }
  return samples.map(({ ids, nanos }) => ({
    stack: ids.flatMap((id) => (locations.get(id) ?? []).map((fn) => strings[functions.get(fn)] ?? '?')),
    nanos,
  }));
}

/** Self and cumulative nanoseconds by function, and by stage of `stages`. */
export function summariseGo(samples, stages = NATS_STAGES) {
  const self = new Map();
  const cumulative = new Map();
  const byStage = new Map(stages.map(([name]) => [name, 0]));
  let total = 0;
  const add = (map, key, n) => map.set(key, (map.get(key) ?? 0) + n);
  for (const { stack, nanos } of samples) {
    total += nanos;
    if (stack.length) add(self, stack[0], nanos);
    for (const fn of new Set(stack)) add(cumulative, fn, nanos);
    for (const [name, test] of stages) if (stack.some(test)) add(byStage, name, nanos);
  }
  return { total, self, cumulative, byStage };
}

export function renderGoSummary(summary, { top = 15, title = 'Go CPU profile' } = {}) {
  const pct = (n) => `${((n / Math.max(1, summary.total)) * 100).toFixed(1)} %`;
  const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `**${title}**: ${(summary.total / 1e9).toFixed(2)} s of CPU sampled.`,
    '',
    '| what it was doing (a sample counts wherever one of its frames matches) | share of CPU |',
    '|---|---|',
    ...[...summary.byStage.entries()].map(([name, n]) => `| ${name} | ${pct(n)} |`),
    '',
    '| function (self) | share | function (cumulative) | share |',
    '|---|---|---|---|',
    ...sorted(summary.self).map(([fn, n], i) => {
      const [cfn, cn] = sorted(summary.cumulative)[i] ?? ['', 0];
      return `| \`${fn}\` | ${pct(n)} | \`${cfn}\` | ${pct(cn)} |`;
    }),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: go-profile-summary.mjs <file.pprof.gz> [--top N]');
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 20;
  console.log(renderGoSummary(summariseGo(readGoProfile(readFileSync(file))), { top, title: file }));
}
