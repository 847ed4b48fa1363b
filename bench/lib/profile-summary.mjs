// Summarises a V8 .cpuprofile of the relay by stage of its hot path: self samples per stage (a function's own
// samples, not its callees'), as a share of the busy samples and, given the process's measured CPU time per
// frame, in µs per delivered frame. Samples are counted rather than their time deltas summed: V8's sampler
// ticks on wall time, so on a loaded machine a descheduled thread's next sample carries a long delta; the count
// of samples follows CPU time more closely. Native functions (uWS's send/cork, TextDecoder, …) have no script
// of their own and count toward the stage of their JS caller.
//
// `ACCEPT_STAGES` splits the same way by stage of the connection-accept path (bench/idle/run-idle.mjs --profile).
//
//   node bench/lib/profile-summary.mjs <file.cpuprofile> [--cpu-us-per-frame X] [--accept]   (a markdown table)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** [stage, test on the script url / function name], first match wins. */
const STAGES = [
  ['GC', (url, fn) => fn === '(garbage collector)'],
  ['idle', (url, fn) => fn === '(idle)'],
  ['native outside JS (uWS loop, epoll, socket reads)', (url, fn) => fn === '(program)'],
  ['NATS client (parse, dispatch)', (url) => url.includes('@nats-io/')],
  ['msgpack decode/encode (msgpackr)', (url) => url.includes('msgpackr')],
  ['seq rule (stream cursors, classifyBatch)', (url) => /stream-cursors\.js|protocol\/dist\/seq\.js/.test(url)],
  ['frame decode/validation (protocol)', (url) => url.includes('protocol/dist/')],
  ['broker adapter (subscription callback, decodeEvent)', (url) => url.includes('broker/dist/')],
  ['ring append (stream record)', (url) => url.includes('stream-record.js')],
  ['hub fan-out', (url) => url.includes('conversation-hub.js')],
  ['connection (deliver, forward)', (url) => url.includes('connection/connection.js')],
  ['send queue (lanes, flush)', (url) => /send-queue\.js|fifo\.js|send-batcher\.js/.test(url)],
  ['cork/write (uWS send, cork)', (url) => /transports\/websocket\.js/.test(url)],
  ['metrics (prom-client)', (url) => url.includes('prom-client') || url.includes('relay/dist/metrics.js')],
  ['timers', (url) => url.includes('node:internal/timers')],
  ['microtask/tick queue', (url) => url.includes('node:internal/process/task_queues')],
  [
    'Node socket/stream plumbing (NATS bytes in)',
    (url) => /node:net|node:internal\/streams|stream_base_commons|node:events|node:buffer/.test(url),
  ],
  ['other relay code', (url) => url.includes('relay/dist/')],
];
/** The accept path's stages: upgrade, JWT, limits, the hello → welcome round trip; first match wins. */
export const ACCEPT_STAGES = [
  ['GC', (url, fn) => fn === '(garbage collector)'],
  ['idle', (url, fn) => fn === '(idle)'],
  ['native outside JS (uWS accept, HTTP upgrade, epoll, socket reads/writes)', (url, fn) => fn === '(program)'],
  [
    'JWT verify (hs256, authenticator, node:crypto)',
    (url) => /auth\/hs256\.js|auth\/authenticator\.js|node:internal\/crypto/.test(url),
  ],
  [
    'connection limits (abuse-limits, store rate buckets, ioredis)',
    (url) => /limits\/|store\/memory-store\.js|store\/redis-store\.js|token-bucket\.js|ioredis|redis-parser/.test(url),
  ],
  ['upgrade handler (transport, admission, headers)', (url) => /transports\/|http\/respond\.js/.test(url)],
  ['msgpack decode/encode (msgpackr)', (url) => url.includes('msgpackr')],
  ['frame decode/encode, ids (protocol)', (url) => url.includes('protocol/dist/')],
  [
    'connection, hello → welcome (registry, dispatcher, session, send queue)',
    (url) => /relay\/dist\/connection\//.test(url),
  ],
  ['metrics (prom-client)', (url) => url.includes('prom-client') || url.includes('relay/dist/metrics.js')],
  ['timers', (url) => url.includes('node:internal/timers')],
  [
    'microtask/tick queue, promises',
    (url) => /node:internal\/process\/task_queues|node:internal\/async_hooks/.test(url),
  ],
  [
    'Node Buffer, URL, events',
    (url) => /node:buffer|node:internal\/buffer|node:internal\/url|node:url|node:events/.test(url),
  ],
  ['other relay code', (url) => url.includes('relay/dist/')],
];
const OTHER = 'other (Node internals, ...)';

function stageOf(node, stages) {
  const { url, functionName } = node.callFrame;
  for (const [stage, test] of stages) if (test(url, functionName)) return stage;
  return undefined;
}

/** Self samples per stage (`stages`: the hot path's by default) and per function, from a parsed .cpuprofile. */
export function summarise(profile, stages = STAGES) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stage = new Map();
  const resolve = (id) => {
    if (stage.has(id)) return stage.get(id);
    const node = byId.get(id);
    let s = stageOf(node, stages);
    // Native code (no script) counts toward its caller's stage.
    if (!s && !node.callFrame.url && parent.has(id)) s = resolve(parent.get(id));
    s ??= OTHER;
    stage.set(id, s);
    return s;
  };
  const selfByStage = new Map();
  const selfByFunction = new Map();
  const { samples, timeDeltas } = profile;
  const msPerSample = timeDeltas.reduce((a, b) => a + b, 0) / 1000 / Math.max(1, samples.length);
  for (let i = 0; i < samples.length; i++) {
    const ms = 1;
    const node = byId.get(samples[i]);
    const s = resolve(samples[i]);
    selfByStage.set(s, (selfByStage.get(s) ?? 0) + ms);
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|packages)\//, '')}:${lineNumber + 1}`;
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + ms);
  }
  const total = [...selfByStage.values()].reduce((a, b) => a + b, 0);
  const busy = total - (selfByStage.get('idle') ?? 0);
  return { total, busy, msPerSample, selfByStage, selfByFunction };
}

/** The `count` functions with the most self samples (idle and GC apart from JS), with their share of busy. */
export function topFunctions(profile, count = 15) {
  const { busy, selfByFunction } = summarise(profile);
  return [...selfByFunction.entries()]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, n]) => {
      const space = key.indexOf(' ');
      return { name: `\`${key.slice(0, space)}\``, script: key.slice(space + 1) || '—', share: n / busy };
    });
}

/** A markdown table of the stages (and the top functions); µs per frame when `cpuUsPerFrame` is given. */
export function renderSummary(summary, { cpuUsPerFrame, top = 12, title = 'relay CPU profile', unit = 'frame' } = {}) {
  const { busy, msPerSample, selfByStage, selfByFunction } = summary;
  const share = (n) => n / busy;
  const perFrame = (n) => (cpuUsPerFrame ? (share(n) * cpuUsPerFrame).toFixed(2) : '—');
  const rows = [...selfByStage.entries()].filter(([s]) => s !== 'idle').sort((a, b) => b[1] - a[1]);
  const lines = [
    `**${title}**: ${busy} busy samples (mean interval ${msPerSample.toFixed(2)} ms)${cpuUsPerFrame ? `; the process used ${cpuUsPerFrame.toFixed(2)} µs of CPU per ${unit === 'frame' ? 'delivered frame' : unit} in this run, split by share` : ''}`,
    '',
    `| stage | self samples | share of busy | µs per ${unit} |`,
    '|---|---|---|---|',
    ...rows.map(([s, n]) => `| ${s} | ${n} | ${(share(n) * 100).toFixed(1)} % | ${perFrame(n)} |`),
    `| **total busy** | ${busy} | 100 % | ${perFrame(busy)} |`,
    '',
    `Top ${top} functions by self samples:`,
    '',
    '| function | self samples | share |',
    '|---|---|---|',
    ...[...selfByFunction.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, n]) => `| \`${k}\` | ${n} | ${(share(n) * 100).toFixed(1)} % |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  const i = process.argv.indexOf('--cpu-us-per-frame');
  const cpuUsPerFrame = i === -1 ? undefined : Number(process.argv[i + 1]);
  const accept = process.argv.includes('--accept');
  const summary = summarise(JSON.parse(readFileSync(file, 'utf8')), accept ? ACCEPT_STAGES : STAGES);
  process.stdout.write(
    renderSummary(summary, { cpuUsPerFrame, title: file, unit: accept ? 'accept' : 'frame', top: accept ? 20 : 12 }) +
      '\n',
  );
}
