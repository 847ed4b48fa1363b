#!/usr/bin/env node
/**
 * Scenario: the resume storm (issue 15: "10,000 clients that resume in-flight streams in ≤ 10 s with no Store
 * read per client"). Two `llc-relay` processes (NATS + Redis store, each its own port); N clients on the first,
 * each following its own in-flight answer (resume-publisher.mjs: slow, long streams through NATS JetStream, as a
 * bridge publishes them); the first relay is SIGKILLed and every client reconnects to the survivor (full jitter
 * ≤ --jitter-ms, doubling on failure; the load balancer's part is played by moving the clients' target), then —
 * as the browser client does — subscribes to its conversation again and resumes its stream from its last seq + 1.
 *
 * Measured, from the kill: when each client had its welcome, and when it had the stream's next frame (p50/p99/max,
 * and when all had it); every transcript checked by the seq rule (no batch twice, no gap, each batch's text right)
 * during the storm and, once the streams end, whole; the survivor's Store calls and resumes by source (its
 * /metrics: llc_relay_store_calls_total{op}, llc_relay_resumes_total{source}) per client; CPU and time waiting for a
 * core of the survivor, the publisher, the load processes and nats-server. `--profile` CPU-profiles the survivor
 * over the storm (bench/lib/profile-hook.mjs); `--nats-profile` CPU-profiles nats-server over the storm's first
 * `--nats-profile-seconds` (Go's pprof, served by `nats-server --profile`; bench/lib/go-profile-summary.mjs).
 *
 *   node bench/idle/run-resume-storm.mjs [--clients 10000] [--period-ms 4000] [--warmup-ms 10000] [--jitter-ms 250]
 *                                        [--relay <bin>] [--no-grants] [--profile] [--nats-profile] [--nats-profile-seconds 20]
 *                                        [--profile-dir /tmp] [--out bench/results/<date>]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort, natsServerBinary, startNats, startRedis } from '@locallightchat/test-support';
import { startLoad } from '../lib/load.mjs';
import {
  BENCH_SECRET,
  RELAY_READY,
  benchRelayArgs,
  cliOptions,
  cpuSecondsOf,
  machineLine,
  sleep,
  spawnWatched,
  startProcess,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg, flag } = cliOptions();
const N = Number(arg('clients', 10_000));
// One batch every 4 s per stream: at 10,000 streams × 1/s the publisher alone saturated nats-server on a 2-core
// machine (2026-12-05: 1.5 million publishes failed), and a storm lasts several periods anyway.
const PERIOD_MS = Number(arg('period-ms', 4000));
const WARMUP_MS = Number(arg('warmup-ms', 10000));
const JITTER_MS = Number(arg('jitter-ms', 250));
const RELAY_BIN = arg('relay', here('../../node_modules/.bin/llc-relay'));
// Without subscription grants (the relays' LLC_GRANT_TTL_MS=0): every re-subscribe reads ownership from the Store,
// as before grants existed — the same-run baseline for what they save.
const NO_GRANTS = flag('no-grants');
const PROFILE = flag('profile')
  ? `${arg('profile-dir', tmpdir())}/relay-resume-storm-${Date.now()}.cpuprofile`
  : undefined;
const NATS_PROFILE = flag('nats-profile')
  ? `${arg('profile-dir', tmpdir())}/nats-resume-storm-${Date.now()}.pprof.gz`
  : undefined;
const NATS_PROFILE_SECONDS = Number(arg('nats-profile-seconds', 20));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const GOAL_S = 10;
const TIMEOUT_MS = 180_000;

/** The survivor's counters of interest from its /metrics (production mode: the bench's bearer token). */
async function counters(httpUrl) {
  const res = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${BENCH_SECRET}` } });
  const text = await res.text();
  const out = { store: {}, resumes: {} };
  for (const m of text.matchAll(/^llc_relay_store_calls_total\{op="(\w+)"[^}]*\} (\d+)/gm))
    out.store[m[1]] = Number(m[2]);
  for (const m of text.matchAll(/^llc_relay_resumes_total\{source="(\w+)"[^}]*\} (\d+)/gm))
    out.resumes[m[1]] = Number(m[2]);
  return out;
}
const delta = (after, before) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)])
      .filter(([, v]) => v > 0),
  );
const waitedSeconds = (pid) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
const natsPid = (port) => {
  try {
    return Number(
      execFileSync('pgrep', ['-f', `nats-server.*${port}`])
        .toString()
        .trim()
        .split('\n')[0],
    );
  } catch {
    return undefined;
  }
};

async function main() {
  const loadAtStart = loadavg()[0];
  const natsProfilePort = NATS_PROFILE ? await freePort() : undefined;
  const [nats, redis] = await Promise.all([
    startNats({ args: natsProfilePort ? ['--profile', String(natsProfilePort)] : [] }),
    startRedis(),
  ]);
  const natsVersion = execFileSync(natsServerBinary(), ['--version']).toString().trim();
  const relayArgs = benchRelayArgs({ natsUrl: nats.url, store: redis.url });
  const startRelay = (env = {}) =>
    startProcess(RELAY_BIN, relayArgs, RELAY_READY, { env: NO_GRANTS ? { ...env, LLC_GRANT_TTL_MS: '0' } : env });
  const victim = await startRelay();
  const survivor = await startRelay(
    PROFILE ? { NODE_OPTIONS: `--import=${here('../lib/profile-hook.mjs')}`, LLC_PROFILE_OUT: PROFILE } : {},
  );
  const survivorUrl = survivor.match[1];
  const survivorHttp = new URL(survivorUrl.replace(/^ws/, 'http')).origin;
  const nonce = Math.random().toString(36).slice(2, 7);
  const convPrefix = `r${nonce}c`;
  const streamPrefix = `r${nonce}s`;

  const load = await startLoad({
    url: victim.match[1],
    kind: 'llc',
    connections: N,
    perProcess: 9_000,
    secret: BENCH_SECRET,
    jitterMs: JITTER_MS,
    userPrefix: `r${nonce}u`,
    convPrefix,
    concurrency: 200,
    deadlineMs: 900_000,
    extension: here('resume-ops.mjs'),
  });
  const ramp = await load.all('ramp');
  const { subscribed } = await load.all('subscribe');
  process.stderr.write(`resume storm: ${ramp.open} clients on the first relay, ${subscribed} conversations claimed\n`);
  const publisher = spawnWatched(process.execPath, [
    here('resume-publisher.mjs'),
    JSON.stringify({ natsUrl: nats.url, count: N, convPrefix, streamPrefix, periodMs: PERIOD_MS }),
  ]);
  await publisher.waitFor(/\{"ready":\d+\}/);
  const { following } = await load.all('follow', { streamPrefix });
  await sleep(WARMUP_MS);
  await load.all('watch');
  await load.all('target', { url: survivorUrl });

  const before = await counters(survivorHttp);
  if (PROFILE) {
    survivor.child.kill('SIGUSR2');
    await survivor.waitFor(/profile started/);
  }
  const pids = {
    survivor: survivor.child.pid,
    publisher: publisher.child.pid,
    nats: natsPid(new URL(nats.url).port),
  };
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? cpuSecondsOf(pid) : NaN]));
  const wait0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? waitedSeconds(pid) : NaN]));
  const loadCpu0 = load.processes.reduce((n, pid) => n + cpuSecondsOf(pid), 0);
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  // Go's CPU profile of nats-server over the storm's first seconds (the request returns when they are over).
  const natsProfile = natsProfilePort
    ? fetch(`http://127.0.0.1:${natsProfilePort}/debug/pprof/profile?seconds=${NATS_PROFILE_SECONDS}`).then(
        async (res) => Buffer.from(await res.arrayBuffer()),
        (error) => {
          process.stderr.write(`\nno nats-server profile: ${error.message}\n`);
          return undefined;
        },
      )
    : undefined;
  let report;
  for (;;) {
    await sleep(500);
    report = await load.all('resumeReport', { killedAt });
    process.stderr.write(
      `\r${((Date.now() - killedAt) / 1000).toFixed(1)} s: ${report.back} welcomed, ${report.caught} of ${report.dropped} caught up `,
    );
    if ((report.dropped > 0 && report.caught >= report.dropped) || Date.now() - killedAt > TIMEOUT_MS) break;
  }
  const windowSeconds = (Date.now() - killedAt) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? cpuSecondsOf(pid) - cpu0[k] : NaN]));
  const waited = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, pid ? waitedSeconds(pid) - wait0[k] : NaN]),
  );
  cpu.load = load.processes.reduce((n, pid) => n + cpuSecondsOf(pid), 0) - loadCpu0;
  const after = await counters(survivorHttp);
  let profileSummary;
  if (PROFILE) {
    survivor.child.kill('SIGUSR2');
    await survivor.waitFor(/profile written/);
    const { renderSummary, summarise } = await import('../lib/profile-summary.mjs');
    profileSummary = renderSummary(summarise(JSON.parse(readFileSync(PROFILE, 'utf8'))), {
      top: 25,
      title: `the survivor over the resume storm (profile: ${PROFILE})`,
    });
  }
  let natsProfileSummary;
  if (natsProfile && NATS_PROFILE) {
    const bytes = await natsProfile;
    if (bytes) writeFileSync(NATS_PROFILE, bytes);
    const { readGoProfile, renderGoSummary, summariseGo } = await import('../lib/go-profile-summary.mjs');
    natsProfileSummary =
      bytes &&
      renderGoSummary(summariseGo(readGoProfile(bytes)), {
        top: 15,
        title: `nats-server (${natsVersion}) over the storm's first ${NATS_PROFILE_SECONDS} s (profile: ${NATS_PROFILE})`,
      });
  }
  // Caught up, every client also gets the stream's next frame within about a batch period.
  const nextDeadline = Date.now() + 3 * PERIOD_MS + 5000;
  while (report.resumed < report.dropped && Date.now() < nextDeadline) {
    await sleep(500);
    report = await load.all('resumeReport', { killedAt });
  }
  process.stderr.write('\n');
  const storeCalls = delta(after.store, before.store);
  const resumes = delta(after.resumes, before.resumes);

  // The streams end: every client must then hold its whole answer (seqs 1..lastSeq once each, texts right).
  publisher.child.stdin.write('end\n');
  const ended = JSON.parse((await publisher.waitFor(/\{"ended".*\}/))[0]);
  let whole;
  const endDeadline = Date.now() + 60_000;
  do {
    await sleep(500);
    whole = await load.all('endReport');
  } while (whole.ended < whole.following && Date.now() < endDeadline);
  await load.stop();
  publisher.child.stdin.end();
  await Promise.all([survivor.stop(), publisher.stop()]);
  await Promise.all([nats.stop(), redis.stop()]);

  const at = (h) => h.summary();
  const next = at(report.nextFrame);
  const caughtUp = at(report.caughtUp);
  const seeded = at(report.subscribed);
  const welcome = at(report.welcome);
  const afterWelcome = at(report.afterWelcome);
  const allBackS = report.caught >= report.dropped ? (report.lastCaughtUpAt - killedAt) / 1000 : NaN;
  const allNextS = report.resumed >= report.dropped ? (report.lastNextFrameAt - killedAt) / 1000 : NaN;
  const storeTotal = Object.values(storeCalls).reduce((a, b) => a + b, 0);
  const reads = ['ownerOf', 'claimConversation', 'listMessages', 'messagesTo', 'loadSession', 'listConversations'];
  const storeReads = reads.reduce((n, op) => n + (storeCalls[op] ?? 0), 0);
  const failures = report.duplicates + report.gaps + report.textMismatch;
  const met = allBackS <= GOAL_S && failures === 0 && whole.whole === whole.following;
  const notAll = (n) => `not all (${n} of ${report.dropped} after ${windowSeconds.toFixed(0)} s)`;
  const s1 = (ms) => (ms / 1000).toFixed(2);
  const command = `node bench/idle/run-resume-storm.mjs --clients ${N} --period-ms ${PERIOD_MS} --warmup-ms ${WARMUP_MS}${JITTER_MS !== 250 ? ` --jitter-ms ${JITTER_MS}` : ''}${arg('relay') ? ` --relay ${RELAY_BIN}` : ''}${NO_GRANTS ? ' --no-grants' : ''}${PROFILE ? ' --profile' : ''}${NATS_PROFILE ? ` --nats-profile --nats-profile-seconds ${NATS_PROFILE_SECONDS}` : ''}`;
  const lines = [
    `# Resume storm — ${new Date().toISOString()}`,
    '',
    `Command: \`${command}\``,
    `${machineLine()} Load average (1 min) at the start ${loadAtStart.toFixed(2)}. ${natsVersion}.`,
    `Two \`llc-relay\` processes (NATS JetStream broker, Redis store); ${ramp.open} clients on the first, each following its own answer (one batch every ${PERIOD_MS} ms, ${following} followed); the first SIGKILLed at ${new Date(killedAt).toISOString()} after ${WARMUP_MS} ms of streaming; every client reconnects to the survivor (full jitter ≤ ${JITTER_MS} ms, doubling on failure), subscribes again and resumes from its last seq + 1.`,
    '',
    '| clients dropped | welcomed again | caught up | kill → welcome p50 / p99 / max | welcome → subscribed p50 / p99 / max | kill → caught up p50 / p99 / max | all caught up | goal ≤ 10 s |',
    '|---|---|---|---|---|---|---|---|',
    `| ${report.dropped} | ${report.back} | ${report.caught} | ${s1(welcome.p50)} / ${s1(welcome.p99)} / ${s1(welcome.max)} s | ${s1(seeded.p50)} / ${s1(seeded.p99)} / ${s1(seeded.max)} s | ${s1(caughtUp.p50)} / ${s1(caughtUp.p99)} / ${s1(caughtUp.max)} s | ${Number.isNaN(allBackS) ? notAll(report.caught) : `${allBackS.toFixed(2)} s`} | ${met ? 'met' : '**missed**'} |`,
    '',
    `Caught up: the client holds every batch published before its \`subscribed\` came back (that frame names the survivor's last seq of the stream: nothing missed), else it has the replay's first frame. The stream's next frame, which may wait for the publisher's next batch (one per ${PERIOD_MS} ms): kill → next frame p50 ${s1(next.p50)} s, p99 ${s1(next.p99)} s, max ${s1(next.max)} s, all ${Number.isNaN(allNextS) ? notAll(report.resumed) : `${allNextS.toFixed(2)} s`}; welcome → next frame p50 ${s1(afterWelcome.p50)} s, p99 ${s1(afterWelcome.p99)} s. Welcome → subscribed is the survivor opening the conversation (reading its retained events from JetStream) after the client's hello.`,
    '',
    `Exactly once, in order: during the storm ${report.duplicates} batches twice, ${report.gaps} gaps, ${report.textMismatch} batches with a wrong text; after the streams ended (${ended.ended} ends published; ${ended.failed} publishes failed in the run, ${ended.broken} streams stopped at a failed publish): ${whole.whole} of ${whole.following} answers whole (${whole.ended} ended), ${whole.duplicates} twice, ${whole.gaps} gaps, ${whole.textMismatch} wrong texts in all. Error frames: ${JSON.stringify(whole.errors)}; resumes asked again after a retryable refusal: ${report.resumeRetries}.${whole.examples.length ? ` Examples: ${whole.examples.join('; ')}.` : ''}`,
    '',
    `The survivor's Store calls during the storm (its /metrics): ${storeTotal} in all, ${(storeTotal / Math.max(1, report.dropped)).toFixed(2)} per client — ${
      Object.entries(storeCalls)
        .map(([op, n]) => `${op} ${n} (${(n / Math.max(1, report.dropped)).toFixed(2)})`)
        .join(', ') || 'none'
    }; reads (ownership, messages, sessions): ${storeReads} (${(storeReads / Math.max(1, report.dropped)).toFixed(2)} per client). Resumes by source: ${JSON.stringify(resumes)}.`,
    '',
    `CPU in the window (${windowSeconds.toFixed(1)} s, ${cpus().length} cores): survivor ${cpu.survivor.toFixed(2)} s (waited for a core ${waited.survivor.toFixed(2)} s), nats-server ${cpu.nats.toFixed(2)} s (waited ${waited.nats.toFixed(2)} s), publisher ${cpu.publisher.toFixed(2)} s, load processes ${cpu.load.toFixed(2)} s.`,
    '',
    ...(profileSummary ? [profileSummary, ''] : []),
    ...(natsProfileSummary ? [natsProfileSummary, ''] : []),
  ];
  const result = {
    clients: N,
    natsServer: natsVersion,
    periodMs: PERIOD_MS,
    loadAtStart,
    loadAtEnd: loadavg()[0],
    dropped: report.dropped,
    back: report.back,
    resumed: report.resumed,
    allBackSeconds: allBackS,
    allNextFrameSeconds: allNextS,
    caught: report.caught,
    caughtUp,
    subscribed: seeded,
    brokenStreams: ended.broken,
    nextFrame: next,
    welcome,
    afterWelcome,
    duplicates: report.duplicates,
    gaps: report.gaps,
    textMismatch: report.textMismatch,
    resumeRetries: report.resumeRetries,
    errors: whole.errors,
    whole: whole.whole,
    following: whole.following,
    storeCalls,
    storeCallsPerClient: storeTotal / Math.max(1, report.dropped),
    storeReadsPerClient: storeReads / Math.max(1, report.dropped),
    resumes,
    cpu,
    waited,
    windowSeconds,
    met,
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/reconnect-resume-storm.md`, lines.join('\n'));
  writeFileSync(`${OUT}/reconnect-resume-storm.json`, JSON.stringify(result, null, 2));
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
