/**
 * The SSE-down / POST-up endpoints over real HTTP against the embedded stack: the handshake and a streamed
 * answer, the connection metric, and bad input (unknown stream, invalid frames, bad tokens) answered clearly.
 * Then what both transports share: one admission (origin, drain) and one handshake timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloseCode,
  PROTOCOL_VERSION,
  decodeServerFrameJson,
  encodeFrameJson,
  newId,
  type ClientFrame,
  type ServerFrame,
} from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => stack.close());

/** A minimal SSE reader over fetch: events as { event, data }. */
class EventStream {
  readonly events: { event: string; data: string }[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  ended = false;
  status = 0;

  static async open(url: string): Promise<EventStream> {
    const s = new EventStream();
    const response = await fetch(url, { signal: s.abort.signal });
    s.status = response.status;
    if (response.ok && response.body) void s.read(response.body);
    else s.ended = true;
    return s;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          this.events.push({ event, data: data.join('\n') });
          this.wake();
        }
      }
    } catch {
      // aborted
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  frames(): ServerFrame[] {
    return this.events
      .filter((e) => e.event === 'message')
      .map((e) => {
        const r = decodeServerFrameJson(e.data);
        assert.ok(r.ok, 'every data event is a valid server frame');
        return r.frame;
      });
  }

  async until<T>(fn: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (this.ended || Date.now() > deadline)
        throw new Error(`no ${what} (events: ${JSON.stringify(this.events).slice(0, 500)})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}

/** What the `session` event gives: the stream's id, and the key its POSTs must carry (never in a URL). */
interface Session {
  sid: string;
  key: string;
}

async function sessionOf(stream: EventStream): Promise<Session> {
  const e = await stream.until(() => stream.events.find((ev) => ev.event === 'session'), 'session event');
  return JSON.parse(e.data) as Session;
}

async function post(
  session: Session,
  frames: (ClientFrame | string)[],
  base = stack.httpUrl,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}/sse/frames?sid=${session.sid}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'x-llc-sse-key': session.key, ...headers },
    body: frames.map((f) => (typeof f === 'string' ? f : encodeFrameJson(f))).join('\n'),
  });
}

async function connections(): Promise<number> {
  const text = await (await fetch(`${stack.httpUrl}/metrics`)).text();
  return Number(/^llc_relay_connections (\d+)/m.exec(text)?.[1]);
}

describe('relay: SSE endpoints', () => {
  it('runs the protocol over an event stream and POSTs, counted as a connection', async () => {
    const baseline = await connections();
    const stream = await EventStream.open(`${stack.httpUrl}/sse`);
    assert.equal(stream.status, 200);
    const sid = await sessionOf(stream);
    assert.match(sid.sid, /^sse_/);
    assert.equal(await connections(), baseline + 1);

    const conversationId = newId('c_');
    const clientMessageId = newId('cm_');
    // As on a socket, other frames wait for the welcome.
    assert.equal(
      (await post(sid, [{ type: 'hello', v: PROTOCOL_VERSION, token: await stack.token('sse-user') }])).status,
      204,
    );
    const welcome = await stream.until(() => stream.frames().find((f) => f.type === 'welcome'), 'welcome');
    assert.equal(welcome.type === 'welcome' && welcome.userId, 'sse-user');
    const reply = await post(sid, [
      { type: 'subscribe', conversationId },
      { type: 'send', clientMessageId, conversationId, text: 'hello over SSE' },
    ]);
    assert.equal(reply.status, 204);
    const ack = await stream.until(() => stream.frames().find((f) => f.type === 'ack'), 'ack');
    assert.equal(ack.type === 'ack' && ack.clientMessageId, clientMessageId);
    const end = await stream.until(() => stream.frames().find((f) => f.type === 'stream-end'), 'stream-end');
    const tokens = stream.frames().filter((f) => f.type === 'token');
    assert.ok(tokens.length > 0);
    assert.equal(
      end.type === 'stream-end' && end.lastSeq,
      tokens.at(-1)!.type === 'token' ? (tokens.at(-1) as { seq: number }).seq : -1,
    );

    // Pings are answered with pongs on the stream (the client's heartbeat works as on a socket).
    await post(sid, [{ type: 'ping', ts: 42 }]);
    await stream.until(() => stream.frames().find((f) => f.type === 'pong' && f.ts === 42), 'pong');

    stream.close();
    await stream.until(() => (stream.ended ? true : undefined), 'the end');
    for (let i = 0; i < 50 && (await connections()) !== baseline; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await connections(), baseline, 'the connection is released when the client goes away');
  });

  it('answers bad input clearly: unknown stream 404, invalid frames as error frames, bad token 401', async () => {
    assert.equal((await post({ sid: 'sse_nope', key: 'none' }, [{ type: 'ping', ts: 1 }])).status, 404);

    const stream = await EventStream.open(`${stack.httpUrl}/sse`);
    const sid = await sessionOf(stream);
    assert.equal((await post(sid, ['{not json', '[999]'])).status, 204);
    await stream.until(
      () => (stream.frames().filter((f) => f.type === 'error').length >= 2 ? true : undefined),
      'two error frames',
    );
    const errors = stream.frames().filter((f) => f.type === 'error');
    assert.deepEqual(
      errors.map((e) => e.type === 'error' && e.code),
      ['bad-frame', 'bad-frame'],
    );
    // Frames before hello are refused, the stream stays up.
    await post(sid, [{ type: 'subscribe', conversationId: 'c1' }]);
    await stream.until(() => stream.frames().find((f) => f.type === 'error' && f.code === 'not-ready'), 'not-ready');
    assert.equal(stream.ended, false);
    stream.close();

    const refused = await fetch(`${stack.httpUrl}/sse?token=not.a.jwt`);
    assert.equal(refused.status, 401);
    assert.match(((await refused.json()) as { error: string }).error, /./);
  });
});

describe('relay: an SSE session is bound to its stream, not to its sid (L6)', () => {
  it('refuses a POST without the session key or with another key, and one from a foreign origin', async () => {
    const guarded = await startTestStack({ relay: { allowedOrigins: ['https://chat.example'] } });
    try {
      const stream = await EventStream.open(`${guarded.httpUrl}/sse`);
      const session = await sessionOf(stream);
      const hello: ClientFrame = { type: 'hello', v: PROTOCOL_VERSION, token: await guarded.token('sse-owner') };
      const withoutKey = await fetch(`${guarded.httpUrl}/sse/frames?sid=${session.sid}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: encodeFrameJson(hello),
      });
      assert.equal(withoutKey.status, 403, 'the sid alone is not enough');
      assert.equal((await post({ ...session, key: 'k_wrong' }, [hello], guarded.httpUrl)).status, 403);
      const foreign = await post(session, [hello], guarded.httpUrl, { origin: 'https://evil.example' });
      assert.equal(foreign.status, 403, 'a foreign origin is refused');
      assert.equal(stream.frames().length, 0, 'nothing reached the connection');
      const own = await post(session, [hello], guarded.httpUrl, { origin: 'https://chat.example' });
      assert.equal(own.status, 204);
      await stream.until(() => stream.frames().find((f) => f.type === 'welcome'), 'welcome');
      stream.close();
    } finally {
      await guarded.close();
    }
  });
});

describe('relay: one admission and one handshake for both transports', () => {
  let guarded: TestStack;
  before(async () => {
    guarded = await startTestStack({ relay: { allowedOrigins: ['https://chat.example'], helloTimeoutMs: 600 } });
  });
  after(async () => guarded.close());

  it('refuses a foreign origin on both transports (403) before looking at credentials', async () => {
    await assert.rejects(
      ProtocolClient.open(guarded.wsUrl, { headers: { origin: 'https://evil.example' } }),
      /upgrade refused: 403/,
    );
    const allowed = await ProtocolClient.open(guarded.wsUrl, { headers: { origin: 'https://chat.example' } });
    await allowed.close();
    const refused = await fetch(`${guarded.httpUrl}/sse?token=not.a.jwt`, {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(await refused.json(), { error: 'origin not allowed' });
  });

  it('closes an event stream that never says hello, as it closes a socket (4001, handshake timeout)', async () => {
    const stream = await EventStream.open(`${guarded.httpUrl}/sse`);
    const closed = await stream.until(() => stream.events.find((e) => e.event === 'close'), 'the close event');
    assert.deepEqual(JSON.parse(closed.data), { code: CloseCode.Unauthorized, reason: 'handshake timeout' });
    assert.ok(stream.frames().some((f) => f.type === 'error' && f.code === 'unauthorized'));
  });

  it('refuses a stream asked for on a kept-alive HTTP connection once the relay drains (503)', async () => {
    // The drain closes the listener, so only a connection opened before it can still ask.
    assert.equal((await fetch(`${guarded.httpUrl}/healthz`)).status, 200);
    await guarded.stack.relay.drain();
    const refused = await fetch(`${guarded.httpUrl}/sse`);
    assert.equal(refused.status, 503);
    assert.deepEqual(await refused.json(), { error: 'draining' });
  });
});
