// Reader process: `count` WebSocket connections that only read. For the relay (`secret` set) each connection
// authenticates and subscribes to its own conversation `<prefix><first+i>`. Prints {"ready":n} once all are set
// up, then {"received":n} each time stdin gets a line, and exits when stdin closes.
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { decodeServerFrame, encodeFrame } from '@locallightchat/protocol';

const { url, count, first, secret, prefix = 'conv' } = JSON.parse(process.argv[2]);
let received = 0;
let ready = 0;

async function open(i) {
  const address = `127.0.${Math.floor(i / 500 / 250) + 1}.${(Math.floor(i / 500) % 250) + 1}`;
  const ws = new WebSocket(url, ['llc.v1'], { localAddress: address, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  if (secret) {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`reader-${first + i}`)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(secret));
    ws.send(encodeFrame({ type: 'hello', v: 1, token }));
    await next(ws, 'welcome');
    ws.send(encodeFrame({ type: 'subscribe', conversationId: `${prefix}${first + i}` }));
    await next(ws, 'subscribed');
  }
  ws.on('message', () => received++);
}

function next(ws, type) {
  return new Promise((resolve, reject) => {
    const on = (data) => {
      const r = decodeServerFrame(new Uint8Array(data));
      if (!r.ok) return;
      if (r.frame.type === type) {
        ws.off('message', on);
        resolve(r.frame);
      } else if (r.frame.type === 'error') reject(new Error(JSON.stringify(r.frame)));
    };
    ws.on('message', on);
  });
}

for (let i = 0; i < count; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => open(i + k)));
  ready = Math.min(count, i + 100);
}
console.log(JSON.stringify({ ready }));
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => console.log(JSON.stringify({ received })));
process.stdin.on('end', () => process.exit(0));
