#!/usr/bin/env node
/**
 * `npm run bench [-- --quick]`: runs the benchmark scenarios that exist so far and writes their reports to
 * bench/results/<date>/. Quick mode uses small counts and one run (a few minutes); the full mode is what the
 * committed reports come from.
 *
 * Scenarios: idle connections + accept cost (bench/idle/run-idle.mjs). Still to come (see bench/README.md):
 * streaming latency, priority under saturation, reconnect storm, slow consumers, Socket.IO and ws+NATS peers.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const scenarios = [
  { name: 'idle connections and accept cost', argv: [here('idle/run-idle.mjs'), '--connections', quick ? '3000' : '10000', '--runs', quick ? '1' : '3'] },
];

let failed = 0;
for (const [i, s] of scenarios.entries()) {
  process.stderr.write(`[${i + 1}/${scenarios.length}] ${s.name}\n`);
  const run = spawnSync(process.execPath, s.argv, { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
