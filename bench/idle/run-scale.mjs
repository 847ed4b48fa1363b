#!/usr/bin/env node
/**
 * Connections at scale: `llc-relay --processes P` on one port (SO_REUSEPORT) in front of a hermetic
 * nats-server and redis-server, ramped to N authenticated connections (distinct HS256 JWT each, hello → welcome)
 * by load processes of ≤ 9,000 sockets each, ≤ 500 per loopback source address. Reports connections held,
 * accepts per second, and the relay processes' total RSS.
 *
 *   node bench/idle/run-scale.mjs [--connections 100000] [--processes 6] [--out bench/results/<date>]
 *
 * A process here holds at most ~19.5k sockets (fd limit 20,000), so 100k connections need ≥ 6 relay processes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNats, startRedis } from '@locallightchat/test-support';
import {
  BENCH_SECRET,
  RELAY_READY,
  benchRelayArgs,
  cliOptions,
  machineLine,
  rssBytesOf,
  sleep,
  startProcess,
} from '../lib/proc.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { option: arg } = cliOptions();
const N = Number(arg('connections', 100_000));
const P = Number(arg('processes', Math.max(2, Math.ceil(N / 17_000))));
const OUT = arg('out', here(`../results/${new Date().toISOString().slice(0, 10)}`));
const SECRET = BENCH_SECRET;
const PER_CHILD = 9_000;

const childrenOf = (pid) =>
  execFileSync('pgrep', ['-P', String(pid)])
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(Number);

async function main() {
  const [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const relay = await startProcess(
    here('../../node_modules/.bin/llc-relay'),
    benchRelayArgs({ natsUrl: nats.url, store: redis.url, processes: P }),
    RELAY_READY,
  );
  for (let i = 0; i < 400 && (relay.output().match(/llc-relay listening on/g)?.length ?? 0) < P; i++) await sleep(50);
  const url = relay.match[1];
  await sleep(1000);
  // With one process there is no supervisor: the relay is the process itself.
  const pids = P === 1 ? [relay.child.pid] : childrenOf(relay.child.pid);
  const before = pids.reduce((n, pid) => n + rssBytesOf(pid), 0);
  process.stderr.write(`relay: ${pids.length} processes on ${url}; ramping ${N} connections\n`);

  const loaders = [];
  for (let start = 0, slot = 0; start < N; start += PER_CHILD, slot++) {
    const count = Math.min(PER_CHILD, N - start);
    const config = { url, count, firstAddress: slot * Math.ceil(PER_CHILD / 500), firstUser: start, secret: SECRET };
    loaders.push(startLoader(config));
  }
  const reports = await Promise.all(loaders);
  // The load processes' own clocks: from their first connect (after signing their tokens) to their last welcome.
  const rampSeconds = Math.max(...reports.map((r) => r.report.seconds));
  const opened = reports.reduce((n, r) => n + r.report.open, 0);
  const failed = reports.reduce((n, r) => n + r.report.failed, 0);
  await sleep(3000);
  const perProcess = pids.map((pid) => rssBytesOf(pid));
  const after = perProcess.reduce((a, b) => a + b, 0);
  const metrics = await (
    await fetch(url.replace('ws://', 'http://').replace(/\/ws$/, '/metrics'), {
      headers: { authorization: `Bearer ${SECRET}` },
    })
  )
    .text()
    .catch(() => '');
  for (const r of reports) r.child.stdin.end();
  relay.child.kill('SIGTERM');
  await new Promise((r) => relay.child.once('exit', r));
  await Promise.all([nats.stop(), redis.stop()]);

  const lines = [
    `# Connections at scale — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/idle/run-scale.mjs --connections ${N} --processes ${P}\``,
    machineLine(),
    `Relay: \`llc-relay --processes ${P}\` on one port, NATS broker and Redis store (hermetic servers on free ports).`,
    `Load: ${reports.length} processes, distinct HS256 JWT per connection, hello → welcome, ≤ 500 connections per source address.`,
    '',
    '| connections asked | held | failed | ramp time | accepts/s | relay RSS added | per 10k | per process (RSS) |',
    '|---|---|---|---|---|---|---|---|',
    `| ${N} | ${opened} | ${failed} | ${rampSeconds.toFixed(1)} s | ${(opened / rampSeconds).toFixed(0)} | ${((after - before) / 2 ** 20).toFixed(0)} MB | ` +
      `${((((after - before) / opened) * 10_000) / 2 ** 20).toFixed(1)} MB | ${perProcess.map((b) => (b / 2 ** 20).toFixed(0)).join(' / ')} MB |`,
    '',
    `One process's own /metrics during the hold: \`${/^llc_relay_connections \d+/m.exec(metrics)?.[0] ?? 'n/a'}\` (the kernel spreads connections over the processes).`,
    '',
  ];
  mkdirSync(OUT, { recursive: true });
  const name = P === 1 ? 'scale-one-process' : 'scale-connections';
  writeFileSync(`${OUT}/${name}.md`, lines.join('\n'));
  writeFileSync(
    `${OUT}/${name}.json`,
    JSON.stringify(
      {
        connections: N,
        processes: P,
        held: opened,
        failed,
        rampSeconds,
        acceptsPerSec: opened / rampSeconds,
        mbPer10k: (((after - before) / opened) * 10_000) / 2 ** 20,
      },
      null,
      2,
    ),
  );
  process.stdout.write(lines.join('\n') + '\n');
}

function startLoader(config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here('load.mjs'), JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(\{.*\})/.exec(out);
      if (m) resolve({ child, report: JSON.parse(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`load process exited (${code})`)));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
