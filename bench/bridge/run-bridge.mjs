#!/usr/bin/env node
/**
 * One `llc-bridge` process under many concurrent streams: N generation requests submitted at once through a
 * hermetic NATS work queue, served by R equal simulator replicas (`llc-vllm-sim`, separate processes, batches
 * large enough to run every sequence at once). Measured: streams completed, the bridge process's CPU (% of one
 * core, from /proc — the "CPU to spare"), and the p95 TTFT per replica from the bridge's own histogram, whose
 * spread across equal replicas shows whether routing balances them.
 *
 * The bridge's CPU is also given per token batch and per token it published (CPU seconds from /proc), figures a
 * loaded machine does not distort as it does the share of a core over wall time. `--profile` CPU-profiles the
 * bridge over the measured window (bench/lib/profile-hook.mjs) and adds its hottest functions to the report.
 *
 * `--bridge-cli <path>` runs another build of the bridge (e.g. a copy of an older `dist/cli/bridge-cli.js`), for
 * a before/after in one session; `--node-args "<flags>"` gives the bridge process V8 flags (e.g. a young-generation
 * size); `--label` names the run in the report; `--stream-interval N` runs the replicas with vLLM's
 * `--stream-interval` (a delta per N tokens after the first: fewer, larger reads for the bridge).
 *
 *   node bench/bridge/run-bridge.mjs [--streams 5000] [--replicas 2] [--max-tokens 300] [--profile]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { NatsBroker } from '@locallightchat/broker';
import { decodeEvent } from '@locallightchat/broker/internal';
import { startNats } from '@locallightchat/test-support';
import { cliOptions, cpuSecondsOf, machineLine, sleep, startProcess } from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg, flag } = cliOptions();
const N = Number(arg('streams', 5000));
const R = Number(arg('replicas', 2));
const MAX_TOKENS = Number(arg('max-tokens', 300));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const BRIDGE_CLI = arg('bridge-cli', here('../../packages/inference-bridge/dist/cli/bridge-cli.js'));
const LABEL = arg('label', 'bridge');
const STREAM_INTERVAL = Number(arg('stream-interval', 1));
// V8 flags for the bridge process only, space-separated.
const NODE_ARGS = String(arg('node-args', '')).split(' ').filter(Boolean);
// The bridge's first-token timeout (its default, 30 s, when not given; 0 = none): on a machine loaded far beyond
// its cores the simulators take longer than that to admit thousands of sequences, and the streams that time out
// change the workload being measured.
const TTFT_TIMEOUT = arg('ttft-timeout-ms', undefined);
const PROFILE = flag('profile') ? `${tmpdir()}/bridge-${Date.now()}.cpuprofile` : undefined;

/** p95 from a Prometheus histogram's cumulative buckets for one backend label. */
function histogramP95(metrics, name, backend) {
  const buckets = [];
  for (const line of metrics.split('\n')) {
    const m = new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)`).exec(line);
    if (!m || !m[1].includes(`backend="${backend}"`)) continue;
    const le = /le="([^"]+)"/.exec(m[1])[1];
    buckets.push([le === '+Inf' ? Infinity : Number(le), Number(m[2])]);
  }
  const total = buckets.at(-1)?.[1] ?? 0;
  const hit = buckets.find(([, c]) => c >= 0.95 * total);
  return { count: total, p95: hit ? hit[0] : NaN };
}

async function main() {
  const nats = await startNats();
  const sims = await Promise.all(
    Array.from({ length: R }, () =>
      startProcess(
        process.execPath,
        [
          here('../../packages/vllm-sim/dist/cli/sim-cli.js'),
          '--port',
          '0',
          '--profile',
          '8b-h100',
          '--max-num-seqs',
          '8192',
          '--kv-cache-tokens',
          '4000000',
          '--max-num-batched-tokens',
          '65536',
          '--stream-interval',
          String(STREAM_INTERVAL),
        ],
        /listening on (http:\/\/\S+)/,
        { logLevel: null },
      ),
    ),
  );
  const urls = sims.map((s) => s.match[1]);
  const bridge = await startProcess(
    process.execPath,
    [
      ...NODE_ARGS,
      BRIDGE_CLI,
      '--broker',
      nats.url,
      '--backend-url',
      urls.join(','),
      '--max-in-flight',
      String(N + 100),
      '--metrics-port',
      '0',
      '--metrics-host',
      '127.0.0.1',
      ...(TTFT_TIMEOUT !== undefined ? ['--ttft-timeout-ms', String(TTFT_TIMEOUT)] : []),
    ],
    /metrics on :(\d+)\/metrics/,
    {
      logLevel: null,
      env: PROFILE ? { NODE_OPTIONS: `--import=${here('../lib/profile-hook.mjs')}`, LLC_PROFILE_OUT: PROFILE } : {},
    },
  );
  const metricsUrl = `http://127.0.0.1:${bridge.match[1]}/metrics`;
  const broker = await NatsBroker.connect({ servers: nats.url, log: () => undefined });
  const nc = await connect({ servers: nats.url });
  const nonce = Math.random().toString(36).slice(2, 7);
  let ended = 0;
  let failed = 0;
  let started = 0;
  let batches = 0;
  let tokens = 0;
  // A core subscriber sees every publish, also an event the bridge sent again because its JetStream ack was late
  // (JetStream stores it once; the relay's seq rule drops the copy): count each stream's events once, the copies
  // apart, else copies of stream-end end the wait before every stream has.
  const startedIds = new Set();
  const endedIds = new Set();
  const batchKeys = new Set();
  let copies = 0;
  nc.subscribe('llc.conv.>', {
    callback: (_e, msg) => {
      let event;
      try {
        event = decodeEvent(msg.data);
      } catch {
        return;
      }
      if (event.type === 'stream-start') {
        if (startedIds.has(event.streamId)) return void copies++;
        startedIds.add(event.streamId);
        started++;
      }
      if (event.type === 'token') {
        const key = `${event.streamId}:${event.seq}`;
        if (batchKeys.has(key)) return void copies++;
        batchKeys.add(key);
        batches++;
      }
      if (event.type === 'stream-end') {
        if (endedIds.has(event.streamId)) return void copies++;
        endedIds.add(event.streamId);
        ended++;
        tokens += event.usage?.completionTokens ?? 0;
        if (event.finishReason === 'error') failed++;
      }
    },
  });
  await nc.flush();
  await sleep(1000);

  if (PROFILE) {
    bridge.child.kill('SIGUSR2');
    await bridge.waitFor(/profile started/);
  }
  const cpu0 = cpuSecondsOf(bridge.child.pid);
  const t0 = performance.now();
  // Submitted 200 at a time (JetStream acknowledges each), so all N are in flight together.
  const submit = (i) =>
    broker.submit({
      requestId: `r${nonce}${i}`,
      streamId: `s${nonce}${i}`,
      conversationId: `c${nonce}${i}`,
      userId: `u${i}`,
      replyTo: `m${i}`,
      messages: [{ role: 'user', content: `Question number ${i} about streaming systems.` }],
      maxTokens: MAX_TOKENS,
      priority: 0,
      createdAt: Date.now(),
    });
  for (let i = 0; i < N; i += 200)
    await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, k) => submit(i + k)));
  const submitted = (performance.now() - t0) / 1000;
  let peakConcurrent = 0;
  const deadline = Date.now() + 300_000;
  while (ended < N && Date.now() < deadline) {
    peakConcurrent = Math.max(peakConcurrent, started - ended);
    await sleep(200);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(bridge.child.pid) - cpu0;
  let hottest = [];
  if (PROFILE) {
    bridge.child.kill('SIGUSR2');
    await bridge.waitFor(/profile written/);
    const { topFunctions } = await import('../lib/profile-summary.mjs');
    hottest = topFunctions(JSON.parse(readFileSync(PROFILE, 'utf8')), 15);
  }
  const metrics = await (await fetch(metricsUrl)).text();
  if (failed > 0) process.stderr.write(`bridge output (last 3000 chars):\n${bridge.output().slice(-3000)}\n`);
  const names = urls.map((u) => new URL(u).host);
  const ttft = names.map((n) => ({ backend: n, ...histogramP95(metrics, 'llc_bridge_ttft_seconds', n) }));
  await nc.close();
  await broker.close();
  bridge.child.kill('SIGTERM');
  for (const s of sims) s.child.kill('SIGTERM');
  await nats.stop();

  const p95s = ttft.map((t) => t.p95).filter(Number.isFinite);
  const spread = p95s.length > 1 ? (Math.max(...p95s) - Math.min(...p95s)) / Math.max(...p95s) : NaN;
  const result = {
    streams: N,
    replicas: R,
    ended,
    failed,
    peakConcurrent,
    seconds,
    submitSeconds: submitted,
    bridgeCpuPercent: (cpu / seconds) * 100,
    bridgeCpuSeconds: cpu,
    batches,
    tokens,
    copies,
    cpuUsPerBatch: (cpu * 1e6) / batches,
    cpuUsPerToken: (cpu * 1e6) / tokens,
    ttft,
    spread,
  };
  const lines = [
    `# Bridge under ${N} concurrent streams — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/bridge/run-bridge.mjs --streams ${N} --replicas ${R} --max-tokens ${MAX_TOKENS}${STREAM_INTERVAL !== 1 ? ` --stream-interval ${STREAM_INTERVAL}` : ''}${TTFT_TIMEOUT !== undefined ? ` --ttft-timeout-ms ${TTFT_TIMEOUT}` : ''}${BRIDGE_CLI.includes('dist/cli') ? '' : ` --bridge-cli ${BRIDGE_CLI}`}${NODE_ARGS.length > 0 ? ` --node-args "${NODE_ARGS.join(' ')}"` : ''}\` (${LABEL})`,
    machineLine(),
    `One llc-bridge process (load-aware router) in front of ${R} equal \`llc-vllm-sim\` replicas (profile 8b-h100, batches large enough for every sequence), NATS work queue; answers of up to ${MAX_TOKENS} tokens.`,
    '',
    '| streams submitted | ended | failed | peak concurrent | time | bridge CPU (% of one core) | token batches / tokens published | events published again | bridge CPU µs per batch / per token |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${N} | ${ended} | ${failed} | ${peakConcurrent} | ${seconds.toFixed(1)} s | ${result.bridgeCpuPercent.toFixed(0)} % | ${batches} / ${tokens} | ${copies} | ${result.cpuUsPerBatch.toFixed(1)} / ${result.cpuUsPerToken.toFixed(1)} |`,
    '',
    '| replica | requests | p95 TTFT (histogram bucket) |',
    '|---|---|---|',
    ...ttft.map((t) => `| ${t.backend} | ${t.count} | ≤ ${t.p95} s |`),
    '',
    `p95 TTFT spread across the replicas: ${Number.isFinite(spread) ? `${(spread * 100).toFixed(0)} %` : 'n/a'} (bucket resolution: the histogram's bounds).`,
    '',
    ...(PROFILE
      ? [
          `Hottest functions of the bridge in the measured window (self samples; profile: ${PROFILE}):`,
          '',
          '| share | function | script |',
          '|---|---|---|',
          ...hottest.map((f) => `| ${(f.share * 100).toFixed(1)} % | ${f.name} | ${f.script} |`),
          '',
        ]
      : []),
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/bridge.md`, lines.join('\n'));
  writeFileSync(`${OUT}/bridge.json`, JSON.stringify(result, null, 2));
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
