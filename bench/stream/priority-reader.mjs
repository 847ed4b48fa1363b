// Priority reader: `count` sockets that read slowly (one socket read of ≤ 64 KB every `periodMs`), each following `streams` conversations `<prefix><socket>-<k>`. Token batches of streams whose id
// starts with `new` carry their publish time; the reader records publish → arrival of each such stream's first
// batch. On a stdin line it prints {"firsts":n,"latencies":[[streamId, ms]…],"closed":n} for the batches since the last line.
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { decodeServerFrame, encodeFrame } from '@locallightchat/protocol';

const { url, count, streams, secret, prefix, readMs, periodMs } = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const firsts = [];
let closed = 0;
const sockets = [];

async function open(i) {
  const ws = new WebSocket(url, ['llc.v1'], { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`prio-${i}`)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));
  let subscribed = 0;
  let ready;
  const done = new Promise((r) => (ready = r));
  ws.on('message', (data) => {
    const r = decodeServerFrame(new Uint8Array(data));
    if (!r.ok) return;
    const f = r.frame;
    if (f.type === 'subscribed' && ++subscribed === streams) ready();
    if (f.type === 'token' && f.streamId.startsWith('new') && (f.firstSeq ?? f.seq) === 1)
      firsts.push([f.streamId, now() - Number(f.text.split(' ')[0])]);
  });
  ws.on('close', () => closed++);
  ws.send(encodeFrame({ type: 'hello', v: 1, token }));
  for (let k = 0; k < streams; k++) ws.send(encodeFrame({ type: 'subscribe', conversationId: `${prefix}${i}-${k}` }));
  await done;
  sockets.push(ws);
}

for (let i = 0; i < count; i++) await open(i);
// Slow readers: each socket's TCP stream stays paused except for one read (≤ 64 KB) every period. Reading this
// little also keeps the kernel from growing the receive buffer (autotuning follows the reading rate), so the
// backlog stays in the relay's queue rather than in kernel buffers.
for (const ws of sockets) {
  ws._socket.pause();
  ws._socket.on('data', () => ws._socket.pause());
}
setInterval(() => {
  for (const ws of sockets) ws._socket.resume();
}, periodMs);
void readMs;
console.log(JSON.stringify({ ready: count }));

process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const s = firsts.splice(0);
  console.log(JSON.stringify({ firsts: s.length, latencies: s, closed }));
});
process.stdin.on('end', () => process.exit(0));
