// The "plain Node" way to build this relay: the `ws` package (no compression) plus a NATS subscription per open
// conversation, as the nats.js and ws docs show. It speaks our wire protocol (msgpack frames) so the same load
// generator and readers drive it: hello with a JWT (HS256 verified on node:crypto) → welcome; subscribe →
// `llc.conv.<id>.>` on NATS → every event's bytes forwarded to the sockets that subscribed. No seq rule, no
// resume, no backpressure handling beyond ws's own buffering: the minimum a fair peer needs for this job.
import { connect } from '@nats-io/transport-node';
import { WebSocketServer } from 'ws';
import { decodeClientFrame } from '@locallightchat/protocol';
import { conversationFanout } from './fanout.mjs';
import { LIMITS, subscribed, verifyHs256, welcome } from './hello.mjs';

const secret = process.env.BENCH_SECRET;
const nc = await connect({ servers: process.env.BENCH_NATS_URL });
const fanout = conversationFanout(nc, (socket, bytes) => socket.send(bytes));

// BENCH_PORT: a fixed port, for a restart on the same address (the reconnect storm).
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.env.BENCH_PORT ?? 0),
  perMessageDeflate: false,
});
wss.on('connection', (socket) => {
  let user;
  const joined = new Set();
  socket.on('message', (data) => {
    const r = decodeClientFrame(new Uint8Array(data), LIMITS);
    if (!r.ok) return;
    const f = r.frame;
    if (f.type === 'hello') {
      const claims = verifyHs256(f.token, secret);
      if (!claims?.sub) return socket.close(4001, 'unauthorized');
      user = claims.sub;
      socket.send(welcome('ws', user));
    } else if (f.type === 'subscribe' && user) {
      fanout.join(socket, f.conversationId);
      joined.add(f.conversationId);
      socket.send(subscribed(f.conversationId));
    }
  });
  socket.on('close', () => fanout.leave(socket, joined));
});
wss.on('listening', () => console.log(`ready ws://127.0.0.1:${wss.address().port}/`));
