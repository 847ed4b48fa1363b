// The "plain Node" way to build this relay: the `ws` package (no compression) plus a NATS subscription per open
// conversation, as the nats.js and ws docs show. It speaks our wire protocol (msgpack frames) so the same load
// generator and readers drive it: hello with a JWT (HS256 verified on node:crypto) → welcome; subscribe →
// `llc.conv.<id>.>` on NATS → every event's bytes forwarded to the sockets that subscribed. No seq rule, no
// resume, no backpressure handling beyond ws's own buffering: the minimum a fair peer needs for this job.
import { connect } from '@nats-io/transport-node';
import { WebSocketServer } from 'ws';
import { decodeClientFrame } from '@locallightchat/protocol';
import { LIMITS, subscribed, verifyHs256, welcome } from './hello.mjs';

const secret = process.env.BENCH_SECRET;
const nc = await connect({ servers: process.env.BENCH_NATS_URL });
/** conversation → { sub, sockets } */
const conversations = new Map();

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
      let conv = conversations.get(f.conversationId);
      if (!conv) {
        conv = { sockets: new Set() };
        const c = conv;
        conv.sub = nc.subscribe(`llc.conv.${f.conversationId}.>`, {
          callback: (_e, msg) => {
            for (const s of c.sockets) s.send(msg.data);
          },
        });
        conversations.set(f.conversationId, conv);
      }
      conv.sockets.add(socket);
      joined.add(f.conversationId);
      socket.send(subscribed(f.conversationId));
    }
  });
  socket.on('close', () => {
    for (const id of joined) {
      const conv = conversations.get(id);
      conv?.sockets.delete(socket);
      if (conv && conv.sockets.size === 0) {
        conv.sub.unsubscribe();
        conversations.delete(id);
      }
    }
  });
});
wss.on('listening', () => console.log(`ready ws://127.0.0.1:${wss.address().port}/`));
