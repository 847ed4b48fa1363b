// Latency reader: `count` authenticated sockets, each subscribed to conversation `<prefix><first + i>`. Token batches
// carry their publish time (epoch ms, sub-ms precision) as text; the reader records, per batch, the delay from
// publish to arrival and, per stream, the largest gap between consecutive frames. On a stdin line it prints
// {"samples":…,"p50":…,"p95":…,"p99":…,"max":…,"maxGap":…,"frames":…} for the samples since the last report.
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { decodeServerFrame, encodeFrame } from '@locallightchat/protocol';

const { url, count, secret, prefix, first = 0 } = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
let latencies = [];
let maxGap = 0;
let frames = 0;
const lastAt = new Map();

async function open(i) {
  const slot = Math.floor((first + i) / 500);
  const address = `127.0.${Math.floor(slot / 250) + 1}.${(slot % 250) + 1}`;
  const ws = new WebSocket(url, ['llc.v1'], { localAddress: address, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`lat-${first + i}`)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));
  let ready;
  const done = new Promise((r) => (ready = r));
  ws.on('message', (data) => {
    const at = now();
    const r = decodeServerFrame(new Uint8Array(data));
    if (!r.ok) return;
    const f = r.frame;
    if (f.type === 'subscribed') return ready();
    if (f.type !== 'token') return;
    frames++;
    // A coalesced frame carries several timestamps: the oldest one is the one that waited longest.
    const sent = Number(f.text.split(' ').filter(Boolean)[0]);
    if (Number.isFinite(sent)) latencies.push(at - sent);
    const prev = lastAt.get(f.streamId);
    if (prev !== undefined) maxGap = Math.max(maxGap, at - prev);
    lastAt.set(f.streamId, at);
  });
  ws.send(encodeFrame({ type: 'hello', v: 1, token }));
  ws.send(encodeFrame({ type: 'subscribe', conversationId: `${prefix}${first + i}` }));
  await done;
}

for (let i = 0; i < count; i += 100)
  await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => open(i + k)));
console.log(JSON.stringify({ ready: count }));

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const sorted = latencies.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      samples: sorted.length,
      p50: pct(sorted, 50),
      p95: pct(sorted, 95),
      p99: pct(sorted, 99),
      max: sorted.at(-1) ?? NaN,
      maxGap,
      frames,
    }),
  );
  latencies = [];
  maxGap = 0;
  frames = 0;
  lastAt.clear();
});
process.stdin.on('end', () => process.exit(0));
