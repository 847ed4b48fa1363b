// The physical floor: raw uWebSockets.js with nothing on top. Binary messages are echoed (the idle round trip);
// a text "sub:<conversation>" joins the socket to the send loop, answered "ok". With BENCH_RATE > 0, a timer
// sends every joined socket one token frame (our msgpack encoding, epoch-ms stamp as text) BENCH_RATE times a
// second, spread over the period exactly as the token source spreads its publishes: what any relay must at
// least pay to deliver the same frames. No auth, no broker, no per-stream state.
// The build the relay chose (the newest that loads natively here), so floor and relay run on the same uWS.
import { uWS } from '@locallightchat/relay/internal';
import { encodeFrame } from '@locallightchat/protocol';

if (!String(uWS.App).includes('[native code]')) {
  console.error('uWebSockets.js native binary did not load');
  process.exit(1);
}
const rate = Number(process.env.BENCH_RATE ?? 0);
const joined = [];
const seq = [];
const app = uWS.App().ws('/*', {
  idleTimeout: 0,
  maxPayloadLength: 16 * 1024,
  maxBackpressure: 64 * 1024 * 1024,
  message: (ws, msg, binary) => {
    if (binary) return ws.send(msg, true);
    const text = Buffer.from(msg).toString('utf8');
    if (!text.startsWith('sub:')) return;
    ws.id = joined.length;
    joined.push(ws);
    seq.push(0);
    ws.send('ok', false);
  },
  close: (ws) => {
    if (ws.id !== undefined) joined[ws.id] = undefined;
  },
});
app.listen('127.0.0.1', Number(process.env.BENCH_PORT ?? 0), (socket) => {
  if (!socket) throw new Error('uWS could not listen');
  console.log(`ready ws://127.0.0.1:${uWS.us_socket_local_port(socket)}/`);
});

if (rate > 0) {
  const period = 1000 / rate;
  const t0 = performance.now();
  const tick = () => {
    const elapsed = performance.now() - t0;
    const n = joined.length;
    for (let i = 0; i < n; i++) {
      const ws = joined[i];
      if (!ws) continue;
      const due = Math.floor((elapsed - (i / n) * period) / period) + 1;
      while (seq[i] < due) {
        seq[i]++;
        ws.send(
          encodeFrame({
            type: 'token',
            streamId: `f${i}`,
            seq: seq[i],
            text: `${(performance.timeOrigin + performance.now()).toFixed(3)} tok`,
          }),
          true,
        );
      }
    }
    setTimeout(tick, 2);
  };
  tick();
}
