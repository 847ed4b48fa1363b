/**
 * A minimal protocol client for Node tests and benchmarks: a real WebSocket (the `ws` package), our codec, a
 * log of every decoded frame and bounded waits. Deliberately not the browser client: tests that use it check
 * the relay independently of the client package.
 */
import {
  decodeServerFrame,
  encodeFrame,
  PROTOCOL_VERSION,
  type ClientFrame,
  type ServerFrame,
  type WelcomeFrame,
} from '@locallightchat/protocol';
import WebSocket from 'ws';

export class ProtocolClient {
  readonly frames: ServerFrame[] = [];
  closeCode?: number;
  closeReason?: string;
  private waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error(`the relay sent a text frame: ${data.toString()}`);
      const r = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (!r.ok) throw new Error(`the relay sent an invalid frame: ${r.error.message}`);
      this.frames.push(r.frame);
      this.notify();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.notify();
    });
  }

  /** Opens a socket (optionally with a token at upgrade via `?token=`). */
  static async open(
    url: string,
    options: { protocols?: string[]; headers?: Record<string, string> } = {},
  ): Promise<ProtocolClient> {
    const ws = new WebSocket(url, options.protocols ?? ['llc.v1'], { headers: options.headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return new ProtocolClient(ws);
  }

  /** Opens a socket and completes the handshake with `token`. */
  static async connect(url: string, token: string): Promise<ProtocolClient & { welcome: WelcomeFrame }> {
    const client = await ProtocolClient.open(url);
    client.send({ type: 'hello', v: PROTOCOL_VERSION, token, client: 'test' });
    const welcome = await client.next('welcome');
    return Object.assign(client, { welcome });
  }

  send(frame: ClientFrame): void {
    this.ws.send(encodeFrame(frame));
  }

  /** Sends raw bytes or text (for malformed-input tests). */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Waits until `predicate` holds for the frames received so far (bounded). */
  async until<T>(
    predicate: (frames: ServerFrame[]) => T | undefined | false,
    what: string,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate(this.frames);
      if (value) return value;
      if (this.closeCode !== undefined && !what.includes('close'))
        throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.map((f) => f.type).join(',')}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /** The first frame of a type received after `from` (index into `frames`). */
  async next<T extends ServerFrame['type']>(
    type: T,
    from = 0,
    timeoutMs?: number,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    return this.until(
      (frames) => frames.slice(from).find((f): f is Extract<ServerFrame, { type: T }> => f.type === type),
      type,
      timeoutMs,
    );
  }

  /**
   * Waits for a stream's end and returns its text assembled by the seq rule (throws on gaps or reorders), from
   * `fromSeq` (after a resume) or from the start.
   */
  async streamText(
    streamId: string,
    timeoutMs = 30_000,
    fromSeq = 1,
  ): Promise<{ text: string; end: Extract<ServerFrame, { type: 'stream-end' }> }> {
    const end = await this.until(
      (frames) =>
        frames.find(
          (f): f is Extract<ServerFrame, { type: 'stream-end' }> => f.type === 'stream-end' && f.streamId === streamId,
        ),
      `end of ${streamId}`,
      timeoutMs,
    );
    let last = fromSeq - 1;
    let text = '';
    for (const f of this.frames) {
      if (f.type !== 'token' || f.streamId !== streamId) continue;
      if (f.seq <= last) continue;
      if ((f.firstSeq ?? f.seq) !== last + 1)
        throw new Error(`gap in ${streamId}: had ${last}, got ${f.firstSeq ?? f.seq}..${f.seq}`);
      text += f.text;
      last = f.seq;
    }
    if (last !== end.lastSeq)
      throw new Error(`stream ${streamId} ended at ${end.lastSeq} but only ${last} batches arrived`);
    return { text, end };
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
