#!/usr/bin/env node
/**
 * Added latency of the relay: S active streams, one per socket, each receiving token batches at a steady rate;
 * every batch carries its publish time, and readers in another process record publish → arrival per batch and
 * the largest gap between consecutive frames of a stream.
 *
 *   nats      llc-relay --broker nats://… (separate process); this process publishes as a bridge would.
 *   ws+nats   the plain-Node peer (`ws` + nats.js, bench/peers/ws-nats.mjs) in front of the same NATS.
 *   uws+nats  the floor of a relay fed from NATS (bench/peers/uws-nats.mjs): the relay's uWS build and nats.js
 *             forwarding bytes, nothing else — what this machine and harness allow any such server.
 *   embedded  the relay and its in-process broker run in this process (as `llc-relay --simulate` does with its
 *             bridge), publishing through the in-memory broker.
 *
 * `--profile` (mode nats) CPU-profiles the relay process over the measured window (bench/lib/profile-hook.mjs)
 * and writes the self time per stage to `profile-latency-<S>x<rate>.md` beside the results.
 *
 *   node bench/stream/run-latency.mjs [--mode nats|embedded|ws+nats|uws+nats] [--streams 2000] [--rate 20]
 *                                     [--seconds 10] [--profile] [--profile-dir /tmp]
 */
import { mkdirSync, readFileSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MemoryBroker, NatsBroker } from '@locallightchat/broker';
import { Authenticator, MemoryStore, startRelay } from '@locallightchat/relay';
import { startNats } from '@locallightchat/test-support';
import {
  BENCH_SECRET,
  RELAY_READY,
  benchRelayArgs,
  cliOptions,
  cpuSecondsOf,
  machineLine,
  sleep,
  startProcess,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg, flag } = cliOptions();
const MODE = arg('mode', 'nats');
const S = Number(arg('streams', 2000));
const RATE = Number(arg('rate', 20));
const SECONDS = Number(arg('seconds', 10));
/** `--relay <path>`: another `llc-relay` launcher (another build, or other V8 flags) for a same-session A/B. */
const RELAY_BIN = arg('relay', here('../../node_modules/.bin/llc-relay'));
const PROFILE = flag('profile') ? `${arg('profile-dir', tmpdir())}/relay-latency-${Date.now()}.cpuprofile` : undefined;
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;
const PER_READER = 5000;
const now = () => performance.timeOrigin + performance.now();
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

async function main() {
  const nonce = Math.random().toString(36).slice(2, 8);
  const conv = (i) => `l${nonce}${i}`;
  const stream = (i) => `t${nonce}${i}`;
  let wsUrl;
  let broker;
  let relayPid = process.pid;
  let stop;
  let profiled;
  if (MODE === 'ws+nats' || MODE === 'uws+nats') {
    // A peer (bench/peers/ws-nats.mjs or uws-nats.mjs) in front of the same NATS, fed the same way.
    const nats = await startNats();
    const file = here(`../peers/${MODE.replace('+', '-')}.mjs`);
    const peer = await startProcess(process.execPath, [file], /ready (ws:\/\/\S+)/, {
      env: { BENCH_SECRET: SECRET, BENCH_NATS_URL: nats.url },
    });
    wsUrl = peer.match[1];
    relayPid = peer.child.pid;
    broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
    stop = async () => {
      await broker.close();
      peer.child.kill('SIGKILL');
      await nats.stop();
    };
  } else if (MODE === 'nats') {
    const nats = await startNats();
    const relay = await startProcess(RELAY_BIN, benchRelayArgs({ natsUrl: nats.url }), RELAY_READY, {
      env: PROFILE ? { NODE_OPTIONS: `--import=${here('../lib/profile-hook.mjs')}`, LLC_PROFILE_OUT: PROFILE } : {},
    });
    profiled = relay;
    wsUrl = relay.match[1];
    relayPid = relay.child.pid;
    broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
    stop = async () => {
      await broker.close();
      relay.child.kill('SIGKILL');
      await nats.stop();
    };
  } else {
    broker = new MemoryBroker();
    const relay = await startRelay(
      { port: 0, heartbeatMs: 300_000, tokenBudget: { capacity: 0, refillPerSecond: 0 } },
      {
        broker,
        store: new MemoryStore(),
        auth: await Authenticator.create({ mode: 'jwt', secret: SECRET }),
        log: quiet,
      },
    );
    wsUrl = relay.wsUrl;
    stop = async () => {
      await relay.close();
      await broker.close();
    };
  }

  const readers = [];
  for (let first = 0; first < S; first += PER_READER) {
    const count = Math.min(PER_READER, S - first);
    readers.push(
      startProcess(
        process.execPath,
        [
          here('latency-reader.mjs'),
          JSON.stringify({ url: wsUrl, count, secret: SECRET, prefix: `${conv(0).slice(0, -1)}`, first }),
        ],
        /\{"ready":\d+\}/,
      ),
    );
  }
  const ready = await Promise.all(readers);
  // The relay's NATS subscriptions reach the server shortly after `subscribed`.
  await sleep(1000);
  for (let i = 0; i < S; i++) {
    await broker.publish(conv(i), {
      type: 'stream-start',
      streamId: stream(i),
      conversationId: conv(i),
      replyTo: `m${i}`,
      model: 'bench',
      createdAt: Date.now(),
    });
  }

  const period = 1000 / RATE;
  const seq = new Uint32Array(S);
  const t0 = now();
  let running = true;
  let published = 0;
  const tick = () => {
    if (!running) return;
    const elapsed = now() - t0;
    for (let i = 0; i < S; i++) {
      const due = Math.floor((elapsed - (i / S) * period) / period) + 1;
      while (seq[i] < due) {
        seq[i]++;
        published++;
        void broker.publish(conv(i), { type: 'token', streamId: stream(i), seq: seq[i], text: `${now().toFixed(3)} ` });
      }
    }
    setTimeout(tick, 2);
  };
  tick();
  const stats = async () =>
    Promise.all(
      ready.map(async (r) => {
        r.child.stdin.write('?\n');
        return JSON.parse((await r.waitFor(/\{"samples".*\}/))[0]);
      }),
    );
  await sleep(2000); // warm-up
  await stats();
  if (profiled && PROFILE) {
    profiled.child.kill('SIGUSR2');
    await profiled.waitFor(/profile started/);
  }
  const cpu0 = cpuSecondsOf(relayPid);
  const published0 = published;
  await sleep(SECONDS * 1000);
  const cpu = cpuSecondsOf(relayPid) - cpu0;
  const sent = published - published0;
  const results = await stats();
  // The publisher's events sent again because their JetStream ack was late (the readers drop the copies by seq).
  const resent = broker.resentEvents ?? 0;
  process.stderr.write(`publisher: ${published} published, ${resent} sent again\n`);
  if (profiled && PROFILE) {
    profiled.child.kill('SIGUSR2');
    await profiled.waitFor(/profile written/);
  }
  running = false;
  for (const r of ready) r.child.stdin.end();
  await stop();

  const worst = (k) => Math.max(...results.map((r) => r[k]));
  const frames = results.reduce((n, r) => n + r.frames, 0);
  const row = `| ${MODE} | ${S} | ${RATE} | ${(sent / SECONDS / 1000).toFixed(1)}k | ${frames} | ${worst('p50').toFixed(1)} | ${worst('p95').toFixed(1)} | ${worst('p99').toFixed(1)} | ${worst('max').toFixed(0)} | ${worst('maxGap').toFixed(0)} | ${((cpu / SECONDS) * 100).toFixed(0)} % |`;
  mkdirSync(OUT, { recursive: true });
  const file = `${OUT}/stream-latency.md`;
  if (!existsSync(file)) {
    writeFileSync(
      file,
      [
        '# Added latency under steady streaming',
        '',
        `${machineLine()} Shared by the publisher, the relay and the readers.`,
        "Publish → socket arrival per token batch (ms; worst reader's percentiles), largest gap between consecutive frames of one stream (ms), relay CPU (% of one core; embedded: the whole process, publisher included).",
        'Command: `node bench/stream/run-latency.mjs --mode <mode> --streams <S> --rate <r> --seconds <T>`',
        '',
        '| mode | streams | batches/s per stream | batches/s total | frames received | p50 | p95 | p99 | max | max gap | relay CPU |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
        '',
      ].join('\n'),
    );
  }
  appendFileSync(file, row + '\n');
  if (profiled && PROFILE) {
    const { renderSummary, summarise } = await import('../lib/profile-summary.mjs');
    const summary = renderSummary(summarise(JSON.parse(readFileSync(PROFILE, 'utf8'))), {
      cpuUsPerFrame: (cpu * 1e6) / frames,
      title: `relay via NATS, ${S} streams × ${RATE}/s, ${SECONDS} s window (profile: ${PROFILE})`,
    });
    const text = [
      `# Relay CPU profile under steady streaming — ${new Date().toISOString()}`,
      '',
      `Command: \`node bench/stream/run-latency.mjs --mode nats --streams ${S} --rate ${RATE} --seconds ${SECONDS} --profile\``,
      `${machineLine()} Relay CPU in the window ${((cpu / SECONDS) * 100).toFixed(0)} % of a core, ${((cpu * 1e6) / frames).toFixed(2)} µs per delivered frame; this run's latency row: ${row}`,
      '',
      summary,
    ].join('\n');
    writeFileSync(`${OUT}/profile-latency-${S}x${RATE}.md`, text);
    process.stdout.write(text + '\n');
  }
  appendFileSync(
    `${OUT}/stream-latency.jsonl`,
    JSON.stringify({
      mode: MODE,
      streams: S,
      rate: RATE,
      perSecond: sent / SECONDS,
      frames,
      p50: worst('p50'),
      p95: worst('p95'),
      p99: worst('p99'),
      max: worst('max'),
      maxGap: worst('maxGap'),
      cpu: cpu / SECONDS,
    }) + '\n',
  );
  process.stdout.write(row + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
