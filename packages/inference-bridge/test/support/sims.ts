/**
 * Helpers for routing and bridge tests against real simulator servers: reading their Prometheus metrics,
 * injecting faults over HTTP, holding load on a replica, waiting for a condition.
 */
import assert from 'node:assert/strict';
import { sumSamples } from '../../src/routing/prometheus-text.js';
import type { RunningSimulator } from '@locallightchat/vllm-sim';

/** Sum of a metric's samples on a simulator (optionally only lines containing `labels`). */
export async function simMetric(sim: RunningSimulator, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${sim.origin}/metrics`)).text();
  const lines = text.split('\n').filter((l) => !labels || l.includes(labels) || l.startsWith('#'));
  return sumSamples(lines.join('\n'), new Set([name])).get(name)?.sum ?? 0;
}

/** Requests the simulator finished (any reason). */
export function simFinished(sim: RunningSimulator, reason = ''): Promise<number> {
  return simMetric(sim, 'vllm:request_success_total', reason ? `finished_reason="${reason}"` : '');
}

export async function setFaults(sim: RunningSimulator, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.origin}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Opens `count` long streams straight to `sim` (not through any router), so the replica is loaded by "another
 * bridge". Returns a function that closes them.
 */
export async function holdLoad(sim: RunningSimulator, count: number): Promise<() => Promise<void>> {
  const controller = new AbortController();
  const streams = Array.from({ length: count }, (_, i) =>
    fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: `background load ${i}` }],
        max_tokens: 4000,
        ignore_eos: true,
        stream: true,
      }),
      signal: controller.signal,
    })
      // Read to the end (until aborted): an unreferenced body may be collected by undici, which closes the
      // connection and so aborts the sequence.
      .then(async (res) => {
        for await (const _ of res.body ?? []) void _;
      })
      .catch(() => undefined),
  );
  await eventually(
    () => sim.engine.stats().running + sim.engine.stats().waiting >= count,
    `${count} background streams on ${sim.port}`,
  );
  return async () => {
    controller.abort();
    await Promise.all(streams);
  };
}
