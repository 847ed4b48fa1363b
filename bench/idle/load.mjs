// Load child: opens `count` WebSocket connections to `url`, spread over loopback source addresses (≤ 500 each,
// beyond which the kernel's port search slows down), optionally completing the relay handshake with JWTs signed
// with `secret`.
// Reports progress as JSON lines on stdout and holds the sockets until its stdin closes. With `reconnect`, a
// socket the server drops reconnects after a random delay (full jitter, doubling up to 5 s); each stdin line
// then prints {"dropped":…,"back":…,"firstDropAt":…,"lastBackAt":…,"backBy":{…}} (epoch ms).
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { decodeServerFrame, encodeFrame } from '@locallightchat/protocol';

const {
  url,
  count,
  firstAddress,
  secret,
  firstUser,
  protocol = secret ? 'llc' : 'echo',
  reconnect = false,
  jitterMs = 1000,
} = JSON.parse(process.argv[2]);
// `backBy`: clients back per half second since this process's first drop (a storm's tail shows there).
const storm = { dropped: 0, back: 0, firstDropAt: 0, lastBackAt: 0, backBy: {} };
// One distinct token per connection (signed before the clock starts), so the server verifies every one.
const tokens = secret ? [] : undefined;
if (secret) {
  const key = new TextEncoder().encode(secret);
  for (let i = 0; i < count; i++) {
    tokens.push(
      await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`bench-${firstUser + i}`)
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(key),
    );
  }
}
const PER_ADDRESS = 500;
const PROBE = new Uint8Array(160).fill(42);
const CONCURRENCY = 200;
let open = 0;
let failed = 0;
let next = 0;
const sockets = [];

function connect(i) {
  return connectOnce(i).then((ok) => {
    if (ok) open++;
    else failed++;
  });
}

/** Reconnects socket `i` after a jittered delay, again and again until it is back. */
function retry(i, attempt) {
  const delay = Math.random() * Math.min(5000, jitterMs * 2 ** attempt);
  setTimeout(() => {
    connectOnce(i).then((ok) => {
      if (!ok) return retry(i, attempt + 1);
      storm.back++;
      storm.lastBackAt = Date.now();
      const bucket = `${(Math.floor((storm.lastBackAt - storm.firstDropAt) / 500) / 2).toFixed(1)}s`;
      storm.backBy[bucket] = (storm.backBy[bucket] ?? 0) + 1;
    });
  }, delay);
}

function connectOnce(i) {
  return new Promise((resolve) => {
    const address = `127.0.${Math.floor((firstAddress + Math.floor(i / PER_ADDRESS)) / 250) + 1}.${((firstAddress + Math.floor(i / PER_ADDRESS)) % 250) + 1}`;
    const ws = new WebSocket(url, protocol === 'llc' ? ['llc.v1'] : [], {
      localAddress: address,
      perMessageDeflate: false,
    });
    let settled = false;
    // A handshake that never completes counts as failed (and, with `reconnect`, is retried).
    const timer = setTimeout(() => done(false), 10_000);
    const done = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok && reconnect) {
        ws.once('close', () => {
          storm.dropped++;
          storm.firstDropAt ||= Date.now();
          retry(i, 0);
        });
      }
      if (!ok) ws.terminate();
      resolve(ok);
    };
    ws.once('error', () => done(false));
    ws.once('close', () => done(false));
    if (protocol === 'socketio') {
      // Engine.IO open packet ("0{…}"), then the namespace connect with the token ("40{…}") and its answer.
      ws.once('message', () => {
        ws.send(`40${JSON.stringify({ token: tokens[i] })}`);
        ws.once('message', (data) => done(String(data).startsWith('40')));
      });
      return;
    }
    ws.once('open', () => {
      if (!tokens) {
        // Peers get the same round trip as the relay's hello → welcome: a token-sized message, echoed.
        ws.send(PROBE);
        ws.once('message', () => done(true));
        return;
      }
      ws.send(encodeFrame({ type: 'hello', v: 1, token: tokens[i], client: 'bench' }));
      // Only a welcome counts: anything else means the handshake failed.
      ws.once('message', (data) => {
        const reply = decodeServerFrame(new Uint8Array(data));
        if (reply.ok && reply.frame.type === 'welcome') return done(true);
        if (failed === 0) console.error(`handshake failed: ${JSON.stringify(reply)}`);
        done(false);
      });
    });
    sockets.push(ws);
  });
}

async function worker() {
  while (next < count) await connect(next++);
}

const started = performance.now();
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
console.log(JSON.stringify({ open, failed, seconds: (performance.now() - started) / 1000 }));
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => console.log(JSON.stringify(storm)));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
