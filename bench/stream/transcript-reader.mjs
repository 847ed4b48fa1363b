// Transcript reader: `count` sockets, each following its own stream `<prefix>s<i>` in conversation
// `<prefix>c<i>`, checking the seq rule (every batch once, in order). Slow readers (`pauseMs` > 0) stop reading
// for that long, then read what is buffered; if the relay closed them as slow consumers, they reconnect and
// resume from their last seq, as the client library does. On a stdin line prints
// {"complete":n,"incomplete":n,"closedSlow":n,"resumed":n,"errors":[…]}: complete = stream-end seen with
// every seq 1..lastSeq received exactly once.
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { decodeServerFrame, encodeFrame } from '@locallightchat/protocol';

const { url, count, secret, prefix, pauseMs = 0, first = 0 } = JSON.parse(process.argv[2]);
const state = Array.from({ length: count }, () => ({
  last: 0,
  ended: false,
  ok: true,
  closedSlow: false,
  resumed: false,
}));
const errors = [];
let ready = 0;

async function token(i) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`tr-${first + i}`)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));
}

async function open(i, resume) {
  const st = state[i];
  const conversationId = `${prefix}c${first + i}`;
  const streamId = `${prefix}s${first + i}`;
  const ws = new WebSocket(url, ['llc.v1'], { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let subscribed;
  const isSubscribed = new Promise((r) => (subscribed = r));
  ws.on('message', (data) => {
    const r = decodeServerFrame(new Uint8Array(data));
    if (!r.ok) return;
    const f = r.frame;
    if (f.type === 'subscribed') return subscribed();
    if (f.type === 'token' && f.streamId === streamId) {
      const from = f.firstSeq ?? f.seq;
      if (f.seq <= st.last) return; // a resume may repeat what arrived just before the close: the seq rule drops it
      if (from !== st.last + 1) {
        st.ok = false;
        if (errors.length < 5) errors.push(`${streamId}: gap ${st.last} → ${from}`);
      }
      st.last = f.seq;
    }
    if (f.type === 'stream-end' && f.streamId === streamId) {
      if (f.lastSeq !== st.last) {
        st.ok = false;
        if (errors.length < 5) errors.push(`${streamId}: ended at ${f.lastSeq}, had ${st.last}`);
      }
      st.ended = true;
    }
  });
  ws.on('close', (code) => {
    if (st.ended || code !== 4008) return;
    st.closedSlow = true;
    // Resume as the client does: a new connection, then every batch after the last one held.
    open(i, true).catch((e) => errors.length < 5 && errors.push(String(e)));
  });
  ws.send(encodeFrame({ type: 'hello', v: 1, token: await token(i) }));
  ws.send(encodeFrame({ type: 'subscribe', conversationId }));
  await isSubscribed;
  if (resume) {
    st.resumed = true;
    ws.send(encodeFrame({ type: 'resume', conversationId, streamId, fromSeq: st.last + 1 }));
  } else if (pauseMs > 0) {
    ws._socket.pause();
    setTimeout(() => ws._socket.resume(), pauseMs);
  }
}

for (let i = 0; i < count; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => open(i + k, false)));
  ready = Math.min(count, i + 50);
}
console.log(JSON.stringify({ ready }));
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const complete = state.filter((s) => s.ended && s.ok).length;
  console.log(
    JSON.stringify({
      complete,
      incomplete: count - complete,
      closedSlow: state.filter((s) => s.closedSlow).length,
      resumed: state.filter((s) => s.resumed).length,
      errors,
    }),
  );
});
process.stdin.on('end', () => process.exit(0));
