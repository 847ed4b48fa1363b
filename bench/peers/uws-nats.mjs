// The floor of a relay fed from NATS: uWebSockets.js (the relay's own build) plus one nats.js subscription per
// open conversation, every event's bytes written to the sockets that subscribed as it arrives, corked per socket.
// It is the `ws` + NATS peer's job on the relay's socket layer, with nothing else: no seq rule, no ring, no resume,
// no send queue, no metrics. What it pays per frame is what NATS in plus one uWS write out cost on this machine, so
// the relay's distance to it is the relay's own work. Same wire protocol as the relay (hello with an HS256 JWT →
// welcome; subscribe → subscribed), so the same readers drive it.
import { connect } from '@nats-io/transport-node';
import { uWS } from '@locallightchat/relay/internal';
import { decodeClientFrame } from '@locallightchat/protocol';
import { conversationFanout } from './fanout.mjs';
import { LIMITS, subscribed, verifyHs256, welcome } from './hello.mjs';

if (!String(uWS.App).includes('[native code]')) {
  console.error('uWebSockets.js native binary did not load');
  process.exit(1);
}
const secret = process.env.BENCH_SECRET;
const nc = await connect({ servers: process.env.BENCH_NATS_URL });
const fanout = conversationFanout(nc, (ws, bytes) => ws.cork(() => ws.send(bytes, true)));

const app = uWS.App().ws('/*', {
  idleTimeout: 0,
  maxPayloadLength: LIMITS.maxFrameBytes,
  maxBackpressure: 64 * 1024 * 1024,
  open: (ws) => {
    ws.joined = new Set();
  },
  message: (ws, data) => {
    const r = decodeClientFrame(new Uint8Array(data), LIMITS);
    if (!r.ok) return;
    const f = r.frame;
    if (f.type === 'hello') {
      const claims = verifyHs256(f.token, secret);
      if (!claims?.sub) return ws.end(4001, 'unauthorized');
      ws.user = claims.sub;
      ws.send(welcome('uws', ws.user), true);
    } else if (f.type === 'subscribe' && ws.user) {
      fanout.join(ws, f.conversationId);
      ws.joined.add(f.conversationId);
      ws.send(subscribed(f.conversationId), true);
    }
  },
  close: (ws) => fanout.leave(ws, ws.joined),
});
app.listen('127.0.0.1', Number(process.env.BENCH_PORT ?? 0), (socket) => {
  if (!socket) throw new Error('uWS could not listen');
  console.log(`ready ws://127.0.0.1:${uWS.us_socket_local_port(socket)}/`);
});
