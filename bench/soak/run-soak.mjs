#!/usr/bin/env node
/**
 * Soak (issue 12; not in CI): the real relay (`llc-relay`, one process, NATS broker, memory store) holding N
 * connections for an hour, with the real bridge (`llc-bridge`, NATS work queue) streaming answers from a vLLM
 * simulator (`llc-vllm-sim`) continuously to a fraction of them, the rest idle with the relay's heartbeats
 * (WebSocket pings every --heartbeat-ms, answered by the clients), and reconnect churn among the idle ones.
 * The clients sit in ≥ 2 load processes (a process here holds at most ~19.5k fds), driven through
 * bench/lib/load.mjs with the soak's operations (soak-ops.mjs). Every answer is checked whole (seqs 1..lastSeq
 * once each, a normal end, the stored text equal to the streamed one).
 *
 * Every minute it samples the relay's and the bridge's RSS and open fds (/proc), heap and event-loop lag p99
 * (their /metrics), frames delivered (the relay's counter and the clients' count), answers and load average,
 * and rewrites the report, so a run cut short still leaves its figures.
 *
 *   node bench/soak/run-soak.mjs [--minutes 60] [--connections 10000] [--streaming 1000] [--per-process 5000]
 *                                [--max-tokens 120] [--pause-ms 8000] [--churn 100] [--out DIR]
 *                                [--heap-snapshots 4,11]
 *
 * Verdicts. RSS growth = mean RSS of the last sixth of the run (minutes 50–60 of an hour) against the mean of
 * the second sixth (minutes 10–20): the first ten minutes are warm-up (JIT, V8 growing its heap to the
 * working set, the rings of recent streams filling to their retention), so comparing with them would count
 * filling as growth; two 10-minute means rather than two samples keep GC's sawtooth out. Pass: < 5 %.
 * No fd leak: open fds in the last sixth within 1 % of the connections of those in the second sixth (churn
 * has a few sockets in flight), and after every client has gone, the relay back within 20 fds of its count
 * before the ramp.
 */
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { startNats } from '@locallightchat/test-support';
import { startLoad } from '../lib/load.mjs';
import { benchPath, bin, sleep, startProcess } from '../lib/proc.mjs';
import { writeReport } from './soak-report.mjs';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const settings = {
  minutes: Number(arg('minutes', 60)),
  connections: Number(arg('connections', 10_000)),
  streaming: Number(arg('streaming', 1000)),
  perProcess: Number(arg('per-process', 5000)),
  maxTokens: Number(arg('max-tokens', 120)),
  pauseMs: Number(arg('pause-ms', 8000)),
  churn: Number(arg('churn', 100)),
  heartbeatMs: Number(arg('heartbeat-ms', 30_000)),
  sampleMs: Number(arg('sample-ms', 60_000)),
  // `--heap-snapshots 4,11`: after those minutes' samples, the relay writes a V8 heap snapshot into --out
  // (SIGUSR2 with --heapsnapshot-signal), for bench/soak/heap-diff.mjs to compare what the relay retains. Writing
  // one raised the relay's RSS by ~200 MiB for good (132 → 334 MiB at 2,000 connections): judge RSS in runs without.
  heapSnapshots: String(arg('heap-snapshots', '')).split(',').filter(Boolean).map(Number),
};
const OUT = arg('out', benchPath(`results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = 'soak-secret-soak-secret-soak-secret-00001';
const command = `node bench/soak/run-soak.mjs ${args.join(' ')}`.trim();

const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const fdsOf = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/** The sum of every series of `name` in a Prometheus text page (NaN when absent). */
function metric(page, name) {
  let total = NaN;
  for (const line of page.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    total = (Number.isNaN(total) ? 0 : total) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

async function scrape(url, headers = {}) {
  try {
    return await (await fetch(url, { headers, signal: AbortSignal.timeout(20_000) })).text();
  } catch {
    return '';
  }
}

/** Signals the relay to write a heap snapshot into OUT and waits until the file stops growing. */
async function heapSnapshot(pid, minute) {
  const files = () => readdirSync(OUT).filter((f) => f.endsWith('.heapsnapshot'));
  const known = new Set(files());
  process.kill(pid, 'SIGUSR2');
  for (let t = 0, size = -1; t < 300; t++) {
    await sleep(2000);
    const file = files().find((f) => !known.has(f));
    if (file === undefined) continue;
    const now = statSync(`${OUT}/${file}`).size;
    // V8 creates the file before it writes: an empty file is not yet a finished one.
    if (now > 0 && now === size)
      return console.log(`min ${minute}: heap snapshot ${OUT}/${file} (${(now / 2 ** 20).toFixed(0)} MiB)`);
    size = now;
  }
}

async function main() {
  const startedAt = new Date();
  const nats = await startNats();
  const sim = await startProcess(
    process.execPath,
    [
      benchPath('../packages/vllm-sim/dist/cli/sim-cli.js'),
      '--port',
      '0',
      '--max-num-seqs',
      '4096',
      '--kv-cache-tokens',
      '4000000',
    ],
    /listening on (http:\/\/\S+)/,
  );
  const bridge = await startProcess(
    process.execPath,
    [
      benchPath('../packages/inference-bridge/dist/cli/bridge-cli.js'),
      '--broker',
      nats.url,
      '--backend-url',
      sim.match[1],
      '--max-in-flight',
      String(settings.streaming * 2),
      '--metrics-port',
      '0',
      '--metrics-host',
      '127.0.0.1',
    ],
    /metrics on :(\d+)\/metrics/,
  );
  const relay = await startProcess(
    bin('llc-relay'),
    [
      '--port',
      '0',
      '--processes',
      '1',
      '--broker',
      nats.url,
      '--store',
      'memory',
      '--bridge',
      'none',
      '--auth-jwt-secret',
      SECRET,
      '--allowed-origins',
      '*',
      '--metrics-token',
      SECRET,
      // The soak measures memory and fds over time, not the budget: every answer should be asked for.
      '--token-budget',
      '0',
      '--heartbeat-ms',
      String(settings.heartbeatMs),
    ],
    /WebSocket (ws:\/\/\S+);/,
    settings.heapSnapshots.length > 0
      ? { env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${OUT}` } }
      : undefined,
  );
  const wsUrl = relay.match[1];
  const relayMetrics = () =>
    scrape(wsUrl.replace('ws://', 'http://').replace(/\/[^/]*$/, '/metrics'), {
      authorization: `Bearer ${SECRET}`,
    });
  const bridgeMetrics = () => scrape(`http://127.0.0.1:${bridge.match[1]}/metrics`);
  await sleep(2000);
  const before = { relayFds: fdsOf(relay.pid), relayRss: rssOf(relay.pid), bridgeFds: fdsOf(bridge.pid) };

  const load = await startLoad({
    url: wsUrl,
    kind: 'llc',
    connections: settings.connections,
    perProcess: settings.perProcess,
    secret: SECRET,
    userPrefix: `soak${Date.now().toString(36)}-`,
    convPrefix: `sc${Date.now().toString(36)}-`,
    extension: benchPath('soak/soak-ops.mjs'),
    concurrency: 100,
    deadlineMs: (settings.minutes + 30) * 60_000,
  });
  const processes = load.processes.length;
  const ramp = await load.all('ramp');
  const subscribed = await load.all('subscribe');
  console.log(`ramp: ${JSON.stringify(ramp)}; subscribed ${subscribed.subscribed}; load processes ${processes}`);
  const perProcessStreams = Math.ceil(settings.streaming / processes);
  await load.all('soakStart', { streams: perProcessStreams, maxTokens: settings.maxTokens, pauseMs: settings.pauseMs });

  const run = { command, settings, startedAt, processes, ramp, subscribed: subscribed.subscribed, before, samples: [] };
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`;
  run.machine = machine;
  mkdirSync(OUT, { recursive: true });
  const t0 = Date.now();
  let framesBefore = metric(await relayMetrics(), 'llc_relay_frames_sent_total');
  for (let minute = 1; Date.now() - t0 < settings.minutes * 60_000; minute++) {
    // Churn spread over the minute, then the sample at its end.
    const churnAt = t0 + (minute - 0.5) * settings.sampleMs;
    await sleep(Math.max(0, churnAt - Date.now()));
    if (settings.churn > 0)
      await load.all('churn', { sockets: Math.ceil(settings.churn / processes), streams: perProcessStreams });
    await sleep(Math.max(0, t0 + minute * settings.sampleMs - Date.now()));
    const [rp, bp, soak] = await Promise.all([relayMetrics(), bridgeMetrics(), load.all('soakStats', { reset: true })]);
    const frames = metric(rp, 'llc_relay_frames_sent_total');
    const sample = {
      minute,
      at: new Date().toISOString(),
      load1: loadavg()[0],
      relay: {
        rss: rssOf(relay.pid),
        fds: fdsOf(relay.pid),
        heapUsed: metric(rp, 'llc_relay_nodejs_heap_size_used_bytes'),
        lagP99: metric(rp, 'llc_relay_nodejs_eventloop_lag_p99_seconds'),
        connections: metric(rp, 'llc_relay_connections'),
        // Conversations with a broker subscription here: flat when deleted ones are let go (issue 12).
        conversationsOpen: metric(rp, 'llc_relay_conversations_open'),
        framesSent: frames - framesBefore,
      },
      bridge: {
        rss: rssOf(bridge.pid),
        fds: fdsOf(bridge.pid),
        heapUsed: metric(bp, 'llc_bridge_nodejs_heap_size_used_bytes'),
        lagP99: metric(bp, 'llc_bridge_nodejs_eventloop_lag_p99_seconds'),
      },
      clients: soak,
    };
    framesBefore = frames;
    run.samples.push(sample);
    console.log(
      `min ${minute}: relay rss ${(sample.relay.rss / 2 ** 20).toFixed(0)} MiB fds ${sample.relay.fds} heap ${(sample.relay.heapUsed / 2 ** 20).toFixed(0)} MiB convs ${sample.relay.conversationsOpen} lag ${(sample.relay.lagP99 * 1000).toFixed(0)} ms frames ${sample.relay.framesSent}; answers ${soak.answers} whole ${soak.whole}; open ${soak.open}; load ${sample.load1.toFixed(1)}`,
    );
    writeReport(OUT, run);
    if (settings.heapSnapshots.includes(minute)) await heapSnapshot(relay.pid, minute);
  }
  await load.all('soakStop');
  run.final = await load.all('soakStats', { reset: true });
  await load.all('close');
  await load.stop();
  // Every client has gone: the relay's fds must come back down to where they were before the ramp. On a loaded
  // machine the relay takes a while to process thousands of closes: wait until its count stops falling (≤ 3 min).
  // (The first hour-long run waited a fixed 10 s and found 8,084 of ~9,200 sockets still open at load 44.)
  for (let last = Infinity, t = 0; t < 180 && fdsOf(relay.pid) < last; t += 10) {
    last = fdsOf(relay.pid);
    await sleep(10_000);
  }
  run.after = {
    relayFds: fdsOf(relay.pid),
    relayRss: rssOf(relay.pid),
    bridgeFds: fdsOf(bridge.pid),
    load1: loadavg()[0],
  };
  run.endedAt = new Date();
  writeReport(OUT, run, true);
  await relay.stop();
  await bridge.stop();
  await sim.stop();
  await nats.stop();
  console.log(`report: ${OUT}/soak.md`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
