/**
 * The session state machine, driven through a scripted transport that speaks the real codec: handshake,
 * resync after welcome, heartbeat and dead-link detection, backoff and its reset after a healthy period,
 * go-away, credential refresh, offline/online, and fatal closes. Timers and the clock are mocked (node:test),
 * so each transition is observed exactly, without waiting.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { CloseCode, type ClientFrame, type ServerFrame } from '@locallightchat/protocol';
import { Session, type ConnectionStatus, type TokenProvider } from '@locallightchat/client/internal';
import { scriptedTransport, settle } from './scripted-transport.js';

function harness(options: { getToken?: TokenProvider; resync?: () => ClientFrame[] } = {}) {
  const { transport, links, last } = scriptedTransport();
  const statuses: { status: ConnectionStatus; retryInMs?: number; reason?: string }[] = [];
  const frames: ServerFrame[] = [];
  let tokens = 0;
  const session = new Session(
    {
      url: 'ws://relay/ws',
      getToken: options.getToken ?? (async () => `token-${++tokens}`),
      transport,
      backoff: { baseMs: 1000, capMs: 8000, random: () => 0.5 },
      healthyAfterMs: 5000,
    },
    {
      onStatus: (status, detail) => statuses.push({ status, ...detail }),
      onWelcome: () => undefined,
      onFrame: (frame) => frames.push(frame),
      resyncFrames: options.resync ?? (() => [{ type: 'subscribe', conversationId: 'c1' }]),
    },
  );
  return { session, links, statuses, frames, last };
}

describe('Session state machine', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('connects, says hello with a fresh token, opens on welcome and resyncs', async () => {
    const h = harness();
    h.session.start();
    await settle();
    assert.equal(h.links.length, 1);
    assert.deepEqual(
      h.statuses.map((s) => s.status),
      ['connecting'],
    );
    h.last().handlers.onOpen();
    const hello = h.last().sent[0];
    assert.equal(hello?.type, 'hello');
    assert.equal(hello?.type === 'hello' && hello.token, 'token-1');
    h.last().welcome();
    assert.equal(h.session.connectionStatus, 'open');
    assert.deepEqual(h.last().types(), ['hello', 'subscribe']);
    h.last().serve({ type: 'queued', streamId: 's1', position: 2 });
    assert.deepEqual(
      h.frames.map((f) => f.type),
      ['queued'],
    );
    h.session.stop();
    assert.equal(h.session.connectionStatus, 'closed');
    assert.equal(h.last().closedBy?.code, CloseCode.Normal);
  });

  it('refuses to send before the handshake completes (the caller keeps the frame for the resync)', async () => {
    const h = harness();
    h.session.start();
    await settle();
    h.last().handlers.onOpen();
    assert.equal(h.session.send({ type: 'subscribe', conversationId: 'c9' }), false);
    h.last().welcome();
    assert.equal(h.session.send({ type: 'subscribe', conversationId: 'c9' }), true);
  });

  it('answers server pings, pings itself, and drops a link silent for two heartbeat intervals', async () => {
    const h = harness();
    h.session.start();
    await settle();
    h.last().handlers.onOpen();
    h.last().welcome(1000);
    h.last().serve({ type: 'ping', ts: 7 });
    assert.deepEqual(h.last().sent.at(-1), { type: 'pong', ts: 7 });
    mock.timers.tick(1000);
    assert.equal(h.last().sent.at(-1)?.type, 'ping', 'client heartbeat');
    mock.timers.tick(1000);
    assert.equal(h.session.connectionStatus, 'open', 'one silent interval is tolerated');
    mock.timers.tick(1001);
    assert.equal(h.session.connectionStatus, 'reconnecting');
    assert.equal(h.statuses.at(-1)?.reason, 'heartbeat timeout');
    assert.equal(h.links[0]!.closedBy?.reason, 'heartbeat timeout');
  });

  it('backs off with growing delays on failures, and resets only after a healthy period', async () => {
    const h = harness();
    h.session.start();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      h.last().handlers.onClose(1006, 'refused');
      const s = h.statuses.at(-1)!;
      assert.equal(s.status, 'reconnecting');
      delays.push(s.retryInMs!);
      mock.timers.tick(s.retryInMs!);
      await settle();
    }
    // random() = 0.5: half of 1000, 2000, 4000.
    assert.deepEqual(delays, [500, 1000, 2000]);
    assert.equal(h.links.length, 4);

    // A connection that dies before the healthy period does not reset the backoff…
    h.last().handlers.onOpen();
    h.last().welcome(60_000);
    mock.timers.tick(4999);
    h.last().handlers.onClose(1006, 'lost');
    assert.equal(h.statuses.at(-1)?.retryInMs, 4000);
    mock.timers.tick(4000);
    await settle();

    // …one that stays up for it does.
    h.last().handlers.onOpen();
    h.last().welcome(60_000);
    mock.timers.tick(5000);
    h.last().handlers.onClose(1006, 'lost');
    assert.equal(h.statuses.at(-1)?.retryInMs, 500);
  });

  it('retries when the token provider fails, then connects with the next token', async () => {
    let calls = 0;
    const h = harness({
      getToken: async () => {
        calls++;
        if (calls === 1) throw new Error('identity provider down');
        return 'good';
      },
    });
    h.session.start();
    await settle();
    assert.equal(h.links.length, 0);
    const s = h.statuses.at(-1)!;
    assert.equal(s.status, 'reconnecting');
    assert.match(s.reason ?? '', /identity provider down/);
    mock.timers.tick(s.retryInMs!);
    await settle();
    assert.equal(h.links.length, 1);
  });

  it('leaves after the go-away hint and reconnects at once, without backoff', async () => {
    const h = harness();
    h.session.start();
    await settle();
    h.last().handlers.onOpen();
    h.last().welcome(60_000);
    h.last().serve({ type: 'go-away', reason: 'draining', reconnectAfterMs: 300 });
    assert.equal(h.frames.at(-1)?.type, 'go-away', 'the owner sees the notice');
    mock.timers.tick(299);
    assert.equal(h.links.length, 1);
    mock.timers.tick(1);
    await settle();
    assert.equal(h.links.length, 2);
    assert.equal(h.links[0]!.closedBy?.code, CloseCode.Normal);
  });

  it('refreshes credentials on auth-expiring without reconnecting', async () => {
    const h = harness();
    h.session.start();
    await settle();
    h.last().handlers.onOpen();
    h.last().welcome(60_000);
    h.last().serve({ type: 'auth-expiring', expiresAt: Date.now() + 1000 });
    await settle();
    assert.deepEqual(h.last().sent.at(-1), { type: 'auth', token: 'token-2' });
    assert.equal(h.links.length, 1);
    assert.equal(h.session.connectionStatus, 'open');
  });

  it('asks for a fresh token (bypassing caches) after the relay refused one, and on auth-expiring', async () => {
    const reasons: (string | undefined)[] = [];
    const h = harness({
      getToken: async (request) => {
        reasons.push(request?.reason);
        return 't';
      },
    });
    h.session.start();
    await settle();
    h.last().handlers.onOpen();
    h.last().handlers.onClose(CloseCode.Unauthorized, 'token-expired');
    mock.timers.tick(h.statuses.at(-1)!.retryInMs!);
    await settle();
    h.last().handlers.onOpen();
    h.last().welcome(60_000);
    h.last().serve({ type: 'auth-expiring', expiresAt: Date.now() + 1000 });
    await settle();
    h.last().handlers.onClose(1006, 'lost');
    mock.timers.tick(h.statuses.at(-1)!.retryInMs!);
    await settle();
    assert.deepEqual(reasons, ['connect', 'refused', 'expiring', 'connect']);
  });

  it('gives a handshake a bounded time', async () => {
    const h = harness();
    h.session.start();
    await settle();
    h.last().handlers.onOpen();
    mock.timers.tick(10_000);
    assert.equal(h.session.connectionStatus, 'reconnecting');
    assert.equal(h.statuses.at(-1)?.reason, 'handshake timed out');
  });

  it('stops for good on an unsupported protocol version', async () => {
    const h = harness();
    h.session.start();
    await settle();
    h.last().handlers.onClose(CloseCode.UnsupportedVersion, 'unsupported protocol version');
    assert.equal(h.session.connectionStatus, 'closed');
    mock.timers.tick(60_000);
    await settle();
    assert.equal(h.links.length, 1, 'no retry');
  });

  it('pauses while offline and reconnects at once when the browser is online again', async () => {
    const events = new EventTarget();
    let onLine = true;
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = {
      add: g.addEventListener,
      remove: g.removeEventListener,
      nav: Object.getOwnPropertyDescriptor(globalThis, 'navigator'),
    };
    g.addEventListener = events.addEventListener.bind(events);
    g.removeEventListener = events.removeEventListener.bind(events);
    Object.defineProperty(globalThis, 'navigator', {
      configurable: true,
      value: {
        get onLine() {
          return onLine;
        },
      },
    });
    try {
      const h = harness();
      h.session.start();
      await settle();
      h.last().handlers.onOpen();
      h.last().welcome(60_000);
      onLine = false;
      events.dispatchEvent(new Event('offline'));
      assert.equal(h.session.connectionStatus, 'offline');
      mock.timers.tick(120_000);
      await settle();
      assert.equal(h.links.length, 1, 'no attempts while offline');
      onLine = true;
      events.dispatchEvent(new Event('online'));
      await settle();
      assert.equal(h.links.length, 2, 'an immediate attempt on online');
      h.session.stop();
    } finally {
      g.addEventListener = saved.add;
      g.removeEventListener = saved.remove;
      if (saved.nav) Object.defineProperty(globalThis, 'navigator', saved.nav);
      else delete g.navigator;
    }
  });
});
