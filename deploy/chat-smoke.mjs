#!/usr/bin/env node
// Chats through a running deployment the way a browser does: a WebSocket to the balancer, hello with a JWT
// (HS256, LLC_AUTH_JWT_SECRET), send, and the streamed answer read to its end by the seq rule.
// Usage: LLC_AUTH_JWT_SECRET=… node deploy/chat-smoke.mjs [ws://127.0.0.1:8080/ws] — retries for 120 s while the
// stack starts; prints the answer's size and exits 0, or exits 1 with the reason.
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { classifyBatch, decodeServerFrame, encodeFrame, newId, PROTOCOL_VERSION } from '@locallightchat/protocol';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080/ws';
const secret = process.env.LLC_AUTH_JWT_SECRET;
if (!secret) {
  console.error('chat-smoke: set LLC_AUTH_JWT_SECRET (the relays verify tokens with it)');
  process.exit(2);
}

async function chatOnce() {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(newId('u'))
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
  const ws = new WebSocket(url, ['llc.v1']);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within 60 s')), 60_000);
    let streamId;
    let last = 0;
    let text = '';
    ws.on('error', (error) => reject(error));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
    ws.on('open', () => ws.send(encodeFrame({ type: 'hello', v: PROTOCOL_VERSION, token, client: 'chat-smoke' })));
    ws.on('message', (data) => {
      const decoded = decodeServerFrame(new Uint8Array(data));
      if (!decoded.ok) return reject(new Error(`invalid frame: ${decoded.error.message}`));
      const f = decoded.frame;
      if (f.type === 'welcome') {
        ws.send(
          encodeFrame({
            type: 'send',
            clientMessageId: newId('cm_'),
            conversationId: newId('c_'),
            text: 'Hello through the balancer: what is a relay?',
            maxTokens: 80,
          }),
        );
      } else if (f.type === 'ack') streamId = f.streamId;
      else if (f.type === 'token' && f.streamId === streamId) {
        if (classifyBatch(last, f) === 'gap') return reject(new Error(`gap after seq ${last}`));
        if (classifyBatch(last, f) === 'next') {
          text += f.text;
          last = f.seq;
        }
      } else if (f.type === 'stream-end' && f.streamId === streamId) {
        clearTimeout(timer);
        ws.removeAllListeners('close');
        ws.close();
        if (f.lastSeq !== last) return reject(new Error(`ended at ${f.lastSeq}, held ${last}`));
        if (f.errorCode) return reject(new Error(`stream error ${f.errorCode}: ${f.errorMessage}`));
        resolve({ batches: last, chars: text.length, text });
      } else if (f.type === 'error') reject(new Error(`error frame ${f.code}: ${f.message}`));
    });
  });
}

const deadline = Date.now() + 120_000;
for (let attempt = 1; ; attempt++) {
  try {
    const answer = await chatOnce();
    console.log(
      `chat-smoke: ${url}: answer of ${answer.batches} batches, ${answer.chars} characters (attempt ${attempt})`,
    );
    console.log(`chat-smoke: "${answer.text.slice(0, 100)}…"`);
    process.exit(0);
  } catch (error) {
    if (Date.now() > deadline) {
      console.error(`chat-smoke: ${url}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
