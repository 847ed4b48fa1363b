// Socket.IO 4 as its docs recommend for this job: the Redis adapter (so fan-out spans nodes), a middleware that
// verifies the HS256 JWT sent in the handshake's `auth` (HMAC on node:crypto, as jsonwebtoken does), and a room
// per user for fan-out. WebSocket transport only (no long-polling upgrade dance), no per-message compression.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { verifyHs256 } from '../../peers/hello.mjs';

const secret = process.env.BENCH_SECRET;
const redisUrl = process.env.BENCH_REDIS_URL;

const pub = createClient({ url: redisUrl });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, adapter: createAdapter(pub, sub) });
io.use((socket, next) => {
  const claims = verifyHs256(socket.handshake.auth?.token, secret);
  if (!claims?.sub) return next(new Error('unauthorized'));
  socket.data.user = claims.sub;
  next();
});
io.on('connection', (socket) => socket.join(`user:${socket.data.user}`));
http.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', () =>
  console.log(`ready ws://127.0.0.1:${http.address().port}/socket.io/?EIO=4&transport=websocket`),
);
