// The soak's markdown report (and its samples as JSON beside it): the command, the machine and its load, a
// table of the per-minute samples, totals, and the verdicts defined in run-soak.mjs's header.
import { writeFileSync } from 'node:fs';

const MiB = (b) => (b / 2 ** 20).toFixed(1);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** RSS growth and fd drift of one process: last sixth of the samples against the second sixth. */
export function verdicts(samples, pick, connections) {
  const n = samples.length;
  const sixth = Math.max(1, Math.floor(n / 6));
  if (n < 3) return undefined;
  const base = samples.slice(sixth, 2 * sixth).map(pick);
  const last = samples.slice(n - sixth).map(pick);
  const rssBase = mean(base.map((s) => s.rss));
  const rssLast = mean(last.map((s) => s.rss));
  const fdBase = mean(base.map((s) => s.fds));
  const fdLast = mean(last.map((s) => s.fds));
  return {
    window: `minutes ${sixth + 1}–${2 * sixth} vs ${n - sixth + 1}–${n}`,
    rssBase,
    rssLast,
    growth: (rssLast - rssBase) / rssBase,
    fdBase,
    fdLast,
    fdDrift: fdLast - fdBase,
    fdOk: fdLast - fdBase <= Math.max(20, connections * 0.01),
  };
}

export function writeReport(dir, run, final = false) {
  const { samples, settings } = run;
  const sum = (f) =>
    samples.reduce((a, s) => a + f(s), 0) + (run.final ? f({ clients: run.final, relay: { framesSent: 0 } }) : 0);
  const answers = sum((s) => s.clients.answers);
  const whole = sum((s) => s.clients.whole);
  const frames = samples.reduce((a, s) => a + s.relay.framesSent, 0);
  const clientFrames = sum((s) => s.clients.tokenFrames);
  const refused = {};
  for (const s of [...samples.map((x) => x.clients), ...(run.final ? [run.final] : [])])
    for (const [k, v] of Object.entries(s.refused ?? {})) refused[k] = (refused[k] ?? 0) + v;
  const relayV = verdicts(samples, (s) => s.relay, settings.connections);
  const bridgeV = verdicts(samples, (s) => s.bridge, settings.connections);
  const loads = samples.map((s) => s.load1);
  const lines = [
    `# Soak: ${settings.connections.toLocaleString('en')} connections for ${settings.minutes} min with streaming — ${run.startedAt.toISOString()}`,
    '',
    `Command: \`${run.command}\`${final ? '' : ' — **in progress / cut short**: this report is rewritten every minute'}`,
    '',
    `Machine: ${run.machine}; shared with other work: load average (1 min) ${loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, mean ${mean(loads).toFixed(1)}` : 'n/a'} on ${run.machine.split(' ')[0]} cores. The RSS and fd verdicts do not depend on speed.`,
    '',
    `Set-up: \`llc-relay --processes 1 --broker nats://… --store memory --bridge none --token-budget 0 --heartbeat-ms ${settings.heartbeatMs}\` ` +
      `(NATS broker: a private \`nats-server\`), one \`llc-bridge\` on the NATS work queue, one \`llc-vllm-sim\` (profile 8b-h100). ` +
      `${run.processes} load processes (bench/lib/load.mjs + bench/soak/soak-ops.mjs) opened ${run.ramp.open} of ${settings.connections} connections ` +
      `(${run.ramp.failed} failed, ramp ${run.ramp.seconds.toFixed(0)} s), each authenticated with its own HS256 JWT and subscribed to a conversation (${run.subscribed}). ` +
      `${settings.streaming} of them ask for answers of up to ${settings.maxTokens} tokens again and again (a pause of ${settings.pauseMs / 1000} s ± 50 % between answers, each in a fresh conversation read back and deleted after it), ` +
      `the others stay idle with the relay's WebSocket pings (every ${settings.heartbeatMs / 1000} s), and ${settings.churn} idle connections a minute are closed and reopened (hello, subscribe).`,
    '',
    '## Verdicts',
    '',
    'RSS growth = mean RSS of the last sixth of the run against the mean of the second sixth (for an hour: minutes 50–60 vs 10–20). The first sixth is warm-up (JIT, V8 growing its heap to the working set, the rings of recent streams filling to their retention): against it, filling would count as growth. Means over ten minutes rather than single samples keep GC’s sawtooth out. No fd leak = fds in the last sixth within max(20, 1 % of the connections) of the second sixth (churn has sockets in flight), and the relay back within 20 fds of its pre-ramp count once every client has gone.',
    '',
    '| process | RSS (window means) | growth | verdict (< 5 %) | fds (window means) | fd verdict |',
    '|---|---|---|---|---|---|',
    ...[
      ['relay', relayV],
      ['bridge', bridgeV],
    ].map(([name, v]) =>
      v
        ? `| ${name} (${v.window}) | ${MiB(v.rssBase)} → ${MiB(v.rssLast)} MiB | ${(v.growth * 100).toFixed(2)} % | ${v.growth < 0.05 ? 'pass' : '**missed**'} | ${v.fdBase.toFixed(0)} → ${v.fdLast.toFixed(0)} | ${v.fdOk ? 'pass' : '**missed**'} |`
        : `| ${name} | too few samples | | | | |`,
    ),
    '',
    run.after
      ? `After all clients closed (once the relay's fd count stopped falling): relay fds ${run.after.relayFds} (before the ramp: ${run.before.relayFds}) — ${Math.abs(run.after.relayFds - run.before.relayFds) <= 20 ? 'pass' : '**missed**'}; relay RSS ${MiB(run.after.relayRss)} MiB (before the ramp ${MiB(run.before.relayRss)} MiB); bridge fds ${run.after.bridgeFds} (before ${run.before.bridgeFds}).`
      : 'After all clients closed: not reached yet.',
    '',
    `Answers: ${answers} asked, ${whole} whole (${answers ? ((whole / answers) * 100).toFixed(2) : 0} %); lost batches ${sum((s) => s.clients.lostBatches)}, duplicated batches ${sum((s) => s.clients.duplicateBatches)}, stored text differing ${sum((s) => s.clients.textMismatch)}, bad ends ${sum((s) => s.clients.badEnd)} (of which failed by the backend: ${sum((s) => s.clients.failed ?? 0)}), timeouts ${sum((s) => s.clients.timeouts)}, refused ${JSON.stringify(refused)}. ` +
      `Frames delivered: ${frames.toLocaleString('en')} by the relay's counter (all frame types), ${clientFrames.toLocaleString('en')} token frames counted by the clients. Reconnects: ${sum((s) => s.clients.churned)} (failed ${sum((s) => s.clients.churnFailed)}).`,
    ...(samples.some((s) => s.clients.examples)
      ? [
          '',
          `Examples of problems: ${samples
            .map((s) => s.clients.examples)
            .filter(Boolean)
            .slice(0, 3)
            .join(' | ')}`,
        ]
      : []),
    '',
    '## Samples (one a minute)',
    '',
    '| min | load | relay RSS MiB | relay fds | relay heap MiB | relay lag p99 ms | conns | frames sent | answers (whole) | open | bridge RSS MiB | bridge fds | bridge heap MiB | bridge lag p99 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...samples.map(
      (s) =>
        `| ${s.minute} | ${s.load1.toFixed(1)} | ${MiB(s.relay.rss)} | ${s.relay.fds} | ${MiB(s.relay.heapUsed)} | ${(s.relay.lagP99 * 1000).toFixed(0)} | ${s.relay.connections} | ${s.relay.framesSent} | ${s.clients.answers} (${s.clients.whole}) | ${s.clients.open} | ${MiB(s.bridge.rss)} | ${s.bridge.fds} | ${MiB(s.bridge.heapUsed)} | ${(s.bridge.lagP99 * 1000).toFixed(0)} |`,
    ),
    '',
  ];
  writeFileSync(`${dir}/soak.md`, lines.join('\n'));
  writeFileSync(`${dir}/soak.json`, JSON.stringify({ ...run, relayVerdict: relayV, bridgeVerdict: bridgeV }, null, 2));
}
