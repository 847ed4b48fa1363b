// A lean WebSocket client for load generation: one net.Socket, a hand-written upgrade request and a frame
// parser that handles exactly what a server sends (unmasked frames, 7/16/64-bit lengths, fragmentation, ping,
// close). Compared with the `ws` package it skips the Sec-WebSocket-Accept hash, extension negotiation,
// per-message event emitters and Buffer copies per frame, so a load process spends its CPU on connecting and
// reading rather than on the client library (measured in bench/lib/client-cost.mjs).
//
// Client frames must be masked (RFC 6455 §5.3). The mask key is fixed per process: it only exists to defeat
// cache poisoning by proxies, and there is no proxy on loopback; the bytes on the wire stay valid.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

const KEY = randomBytes(16).toString('base64');
const MASK = randomBytes(4);

/** Encodes one masked client frame (opcode 1 text, 2 binary, 8 close, 10 pong). */
export function encodeClientFrame(payload, opcode = 2) {
  const data =
    typeof payload === 'string'
      ? Buffer.from(payload)
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const n = data.length;
  const head = n < 126 ? 6 : n < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  MASK.copy(out, head - 4);
  for (let i = 0; i < n; i++) out[head + i] = data[i] ^ MASK[i & 3];
  return out;
}

/**
 * Opens a WebSocket. Resolves with a RawSocket once the server answered 101, rejects on refusal, error or
 * `timeoutMs`. `onMessage(payload: Buffer, isText: boolean)` sees every complete data message.
 */
export function openRaw({ host, port, path = '/', protocol, localAddress, timeoutMs = 10_000, onMessage, onClose }) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, localAddress, noDelay: true });
    const raw = new RawSocket(sock, onMessage, onClose);
    let upgraded = false;
    const timer = setTimeout(() => fail(new Error('upgrade timed out')), timeoutMs);
    const fail = (error) => {
      if (upgraded) return;
      upgraded = true;
      clearTimeout(timer);
      sock.destroy();
      reject(error);
    };
    sock.once('error', fail);
    sock.once('close', () => fail(new Error('closed during upgrade')));
    sock.once('connect', () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`,
      );
    });
    let head = Buffer.alloc(0);
    const onHead = (chunk) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      sock.off('data', onHead);
      if (!head.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101'))
        return fail(new Error(`upgrade refused: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1')}`));
      upgraded = true;
      clearTimeout(timer);
      sock.removeAllListeners('error');
      sock.removeAllListeners('close');
      raw.attach();
      resolve(raw);
      if (head.length > end + 4) raw.feed(head.subarray(end + 4));
    };
    sock.on('data', onHead);
  });
}

export class RawSocket {
  constructor(sock, onMessage = () => undefined, onClose = () => undefined) {
    this.sock = sock;
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.buf = null;
    this.fragments = [];
    this.fragmentText = false;
    this.closed = false;
    this.closeCode = undefined;
  }

  attach() {
    this.sock.on('data', (chunk) => this.feed(chunk));
    this.sock.on('error', () => undefined);
    this.sock.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.onClose(this.closeCode ?? 1006);
    });
  }

  feed(chunk) {
    let b = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    while (b.length - at >= 2) {
      const b0 = b[at];
      let len = b[at + 1] & 0x7f;
      let off = at + 2;
      if (len === 126) {
        if (b.length - at < 4) break;
        len = b.readUInt16BE(at + 2);
        off = at + 4;
      } else if (len === 127) {
        if (b.length - at < 10) break;
        len = Number(b.readBigUInt64BE(at + 2));
        off = at + 10;
      }
      if (b.length < off + len) break;
      this.frame(b0 & 0x80, b0 & 0x0f, b.subarray(off, off + len));
      at = off + len;
    }
    this.buf = at === b.length ? null : Buffer.from(b.subarray(at));
  }

  frame(fin, opcode, payload) {
    if (opcode === 9) return this.sock.write(encodeClientFrame(payload, 10));
    if (opcode === 10) return;
    if (opcode === 8) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.sock.end(encodeClientFrame(payload.subarray(0, 2), 8));
      return;
    }
    if (opcode !== 0 && !fin) {
      this.fragments = [Buffer.from(payload)];
      this.fragmentText = opcode === 1;
      return;
    }
    if (opcode === 0) {
      this.fragments.push(Buffer.from(payload));
      if (!fin) return;
      const whole = Buffer.concat(this.fragments);
      this.fragments = [];
      return this.onMessage(whole, this.fragmentText);
    }
    this.onMessage(payload, opcode === 1);
  }

  /** Sends a binary (Uint8Array) or text (string) message; returns false when the kernel buffer is full. */
  send(data) {
    return this.sock.write(encodeClientFrame(data, typeof data === 'string' ? 1 : 2));
  }

  /** Stops reading: the kernel's receive buffer fills and the server sees backpressure (a slow consumer). */
  pause() {
    this.sock.pause();
  }

  resume() {
    this.sock.resume();
  }

  close(code = 1000) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    this.sock.end(encodeClientFrame(b, 8));
  }

  destroy() {
    this.sock.destroy();
  }
}
