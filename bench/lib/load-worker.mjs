// One load process (forked by bench/lib/load.mjs): holds up to ~15k WebSocket connections from loopback source
// addresses (≤ 500 per address: more makes each bind slow in the kernel), speaks one of four dialects, and
// records per-token arrival into histograms. Driven over IPC by the coordinator; exits by itself at `deadlineMs`
// so a crashed coordinator never leaves sockets behind.
//
//   llc       our protocol: hello(JWT) → welcome; subscribe → subscribed; send → stream-start/token/stream-end
//   socketio  Engine.IO 4 / Socket.IO 5 over WebSocket: 0 → 40{token} → 40; join → joined; "t" events
//   floor     the raw uWS floor (bench/peers/uws-raw.mjs): "sub:<conv>" → "ok"; token frames from its send loop
//   echo      a token-sized message echoed (idle scenarios for servers without a protocol)
//
// Token texts that start with an epoch-ms stamp (`1763830000123.456 …`, written by the token source) give the
// added latency publish → arrival; every token frame gives the gap since the previous frame of its stream; a
// `send` gives the time to first token (TTFT) and, per stream, the tokens and the end. A connection's `onFrame`
// (set by a scenario's extension) sees every decoded frame first.
import { SignJWT } from 'jose';
import { decodeServerFrame, encodeFrame } from '@locallightchat/protocol';
import { openRaw } from './raw-ws.mjs';
import { Histogram } from './histogram.mjs';

const cfg = JSON.parse(process.argv[2]);
const {
  kind,
  count,
  firstSlot = 0,
  perAddress = 500,
  concurrency = 200,
  userPrefix = 'u',
  convPrefix = 'c',
  first = 0,
} = cfg;
// Where connections (and reconnects) go; the `target` op moves it, as a load balancer sends clients elsewhere.
let host;
let port;
let path;
function target(to) {
  const url = new URL(to);
  host = url.hostname;
  port = Number(url.port);
  path = `${url.pathname}${url.search}`;
}
target(cfg.url);
const now = () => performance.timeOrigin + performance.now();
setTimeout(() => process.exit(3), cfg.deadlineMs ?? 600_000).unref();
process.on('disconnect', () => process.exit(0));

const conns = new Array(count);
let tokens;
let stats = fresh();
function fresh() {
  return {
    latency: new Histogram(),
    gap: new Histogram(),
    ttft: new Histogram(),
    frames: 0,
    tokens: 0,
    ended: 0,
    errors: {},
    closes: {},
    streams: 0,
  };
}
// `failed`: reconnect attempts that did not get a welcome, by why; `backBy`: clients back, by half second since
// this process saw its first drop (a storm's tail shows there, e.g. TCP's 1 s and 3 s SYN retransmits).
const storm = { watching: false, dropped: 0, back: 0, firstDropAt: 0, lastBackAt: 0, failed: {}, backBy: {} };
// What a scenario's extension does once a dropped connection is back (e.g. resume its streams: resume-ops.mjs).
let afterReconnect;

async function credentials() {
  if (tokens || kind === 'floor' || kind === 'echo') return;
  tokens = [];
  if (cfg.secret) {
    const key = new TextEncoder().encode(cfg.secret);
    for (let i = 0; i < count; i++)
      tokens.push(
        await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(`${userPrefix}${first + i}`)
          .setIssuedAt()
          .setExpirationTime('2h')
          .sign(key),
      );
  } else if (cfg.devTokenUrl) {
    for (let i = 0; i < count; i++) {
      const r = await fetch(cfg.devTokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: `${userPrefix}${first + i}` }),
      });
      if (!r.ok) throw new Error(`dev token refused: ${r.status} ${await r.text()}`);
      tokens.push((await r.json()).token);
    }
  }
}

const addressOf = (i) => {
  const slot = firstSlot + Math.floor(i / perAddress);
  return `127.0.${Math.floor(slot / 250) + 1}.${(slot % 250) + 1}`;
};

/** Per-connection state; `onReady` fires once the dialect's handshake completed. */
function handlerFor(c) {
  return (payload, isText) => {
    const at = now();
    if (kind === 'socketio') return socketio(c, payload.toString('utf8'), at);
    if (kind === 'echo') return c.ready?.(true);
    if (kind === 'floor' && isText) return c.ready?.(true);
    const r = decodeServerFrame(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
    if (!r.ok) return void (stats.errors.decode = (stats.errors.decode ?? 0) + 1);
    const f = r.frame;
    c.onFrame?.(f, at);
    switch (f.type) {
      case 'welcome':
        return c.ready?.(true);
      case 'subscribed':
        // Kept for the next subscribe, as the browser client does (its Store-free re-subscribe).
        if (f.grant) c.grant = f.grant;
        return c.ready?.(true);
      case 'stream-start':
        c.stream = f.streamId;
        return;
      case 'token':
        return token(c, f.streamId, f.text, at);
      case 'stream-end':
        stats.ended++;
        c.sending = false;
        if (f.errorCode) stats.errors[f.errorCode] = (stats.errors[f.errorCode] ?? 0) + 1;
        return c.ended?.();
      case 'error':
        stats.errors[f.code] = (stats.errors[f.code] ?? 0) + 1;
        if (!c.open) c.ready?.(false, `error ${f.code}`);
        return;
      default:
    }
  };
}

function token(c, streamId, text, at) {
  stats.frames++;
  // A coalesced frame holds several stamps: the first one waited longest.
  const stamp = text.charCodeAt(0) <= 57 ? Number(text.slice(0, text.indexOf(' '))) : NaN;
  if (stamp > 1e12) stats.latency.record(at - stamp);
  if (c.sentAt) {
    stats.ttft.record(at - c.sentAt);
    c.sentAt = 0;
  }
  if (c.lastStream === streamId) stats.gap.record(at - c.lastAt);
  c.lastStream = streamId;
  c.lastAt = at;
}

function socketio(c, text, at) {
  if (text === '2') return c.ws.send('3');
  if (text.startsWith('0{')) return c.ws.send(`40${JSON.stringify({ token: tokens[c.i] })}`);
  if (text.startsWith('40')) return c.ready?.(true);
  if (text.startsWith('44')) return c.ready?.(false);
  if (!text.startsWith('42')) return;
  const [event, data] = JSON.parse(text.slice(2));
  if (event === 'joined') return c.ready?.(true);
  if (event === 't') token(c, data.s, data.x, at);
}

function connectOnce(i) {
  const c = conns[i] ?? { i, open: false };
  conns[i] = c;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false, 'timeout'), 10_000);
    const done = (ok, why) => {
      if (c.ready === undefined) return;
      c.why = why;
      c.ready = undefined;
      clearTimeout(timer);
      c.open = ok;
      if (!ok) c.ws?.destroy();
      resolve(ok);
    };
    c.ready = done;
    openRaw({
      host,
      port,
      path,
      localAddress: addressOf(i),
      protocol: kind === 'llc' ? 'llc.v1' : undefined,
      onMessage: handlerFor(c),
      onClose: (code) => {
        stats.closes[code] = (stats.closes[code] ?? 0) + 1;
        const was = c.open;
        c.open = false;
        done(false, `close ${code}`);
        if (was && storm.watching) {
          storm.dropped++;
          storm.firstDropAt ||= Date.now();
          retry(i, 0);
        }
      },
    }).then(
      (ws) => {
        c.ws = ws;
        if (kind === 'llc') ws.send(encodeFrame({ type: 'hello', v: 1, token: tokens[i], client: 'bench' }));
        else if (kind === 'echo') ws.send(new Uint8Array(160).fill(42));
        else if (kind === 'floor') done(true);
      },
      (error) => done(false, error?.code ?? 'refused'),
    );
  });
}

/** Reconnect with full jitter, doubling on failure (what the browser client does after a node dies). */
function retry(i, attempt) {
  setTimeout(
    async () => {
      if (!(await connectOnce(i))) {
        const why = conns[i].why ?? 'other';
        storm.failed[why] = (storm.failed[why] ?? 0) + 1;
        return retry(i, attempt + 1);
      }
      storm.back++;
      storm.lastBackAt = Date.now();
      afterReconnect?.(i);
      const bucket = `${(Math.floor((storm.lastBackAt - storm.firstDropAt) / 500) / 2).toFixed(1)}s`;
      storm.backBy[bucket] = (storm.backBy[bucket] ?? 0) + 1;
    },
    Math.random() * Math.min(5000, (cfg.jitterMs ?? 250) * 2 ** attempt),
  );
}

/** Runs `fn(i)` over the open connections with `concurrency` in flight; resolves with how many succeeded. */
async function each(fn, only = (c) => c?.open) {
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if (only(conns[i]) && (await fn(i))) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ok;
}

function subscribe(i) {
  const c = conns[i];
  const conv = `${convPrefix}${first + i}`;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), 10_000);
    const finish = (ok) => {
      clearTimeout(timer);
      c.ready = undefined;
      resolve(ok);
    };
    c.ready = finish;
    if (kind === 'llc') c.ws.send(encodeFrame({ type: 'subscribe', conversationId: conv }));
    else if (kind === 'socketio') c.ws.send(`42${JSON.stringify(['join', conv])}`);
    else c.ws.send(`sub:${conv}`);
  });
}

/** Connection i asks the model for an answer in its own conversation; resolves at stream-end (or timeout). */
function send(i, { maxTokens, text, timeoutMs }) {
  const c = conns[i];
  stats.streams++;
  c.sending = true;
  c.sentAt = now();
  c.ws.send(
    encodeFrame({
      type: 'send',
      clientMessageId: `m${process.pid}-${i}-${Date.now()}`,
      conversationId: `${convPrefix}${first + i}`,
      text,
      maxTokens,
    }),
  );
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stats.errors.timeout = (stats.errors.timeout ?? 0) + 1;
      resolve(false);
    }, timeoutMs);
    c.ended = () => {
      clearTimeout(timer);
      c.ended = undefined;
      resolve(true);
    };
  });
}

const handlers = {
  async ramp() {
    await credentials();
    const started = performance.now();
    let next = 0;
    let open = 0;
    const worker = async () => {
      while (next < count) if (await connectOnce(next++)) open++;
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { open, failed: count - open, seconds: (performance.now() - started) / 1000 };
  },
  async subscribe() {
    return { subscribed: await each(subscribe) };
  },
  async send(m) {
    const started = performance.now();
    const n = Math.min(m.streams, count);
    let done = 0;
    await each((i) => (i < n ? send(i, m).then((ok) => (ok && done++, ok)) : false));
    return { streams: n, ended: done, seconds: (performance.now() - started) / 1000 };
  },
  stats(m) {
    const out = {
      ...stats,
      latency: stats.latency.toJSON(),
      gap: stats.gap.toJSON(),
      ttft: stats.ttft.toJSON(),
      open: conns.filter((c) => c?.open).length,
    };
    if (m.reset) {
      stats = fresh();
      for (const c of conns) if (c) c.lastStream = undefined;
    }
    return out;
  },
  pause(m) {
    let n = 0;
    for (const c of conns) if (c?.open && n < m.sockets) (c.ws.pause(), n++);
    return { paused: n };
  },
  resume() {
    for (const c of conns) if (c?.open) c.ws.resume();
    return {};
  },
  watch() {
    storm.watching = true;
    return {};
  },
  target(m) {
    target(m.url);
    return {};
  },
  storm() {
    return { ...storm, open: conns.filter((c) => c?.open).length };
  },
  close() {
    for (const c of conns) if (c?.open) c.ws.destroy();
    return {};
  },
};

// A scenario's own operations (e.g. bench/soak/soak-ops.mjs): a module whose `extend(worker)` returns more handlers.
if (cfg.extension) {
  const { extend } = await import(cfg.extension);
  Object.assign(
    handlers,
    extend({
      cfg,
      conns,
      count,
      first,
      convPrefix,
      connectOnce,
      subscribe,
      stats: () => stats,
      onReconnect: (fn) => (afterReconnect = fn),
    }),
  );
}

process.on('message', async (m) => {
  try {
    process.send({ id: m.id, ok: true, ...(await handlers[m.op](m)) });
  } catch (error) {
    process.send({ id: m.id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true });
