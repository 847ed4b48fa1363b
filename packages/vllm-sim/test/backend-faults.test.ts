/**
 * Injected faults seen through both adapters: OpenAIBackend over HTTP and SimulatorBackend in-process, on the
 * same simulator, must report the same error (kind, status, Retry-After, before or after the first token) and
 * the same text before it. Both build on the bridge's backend kit (guardFirstToken); this pins that they agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InferenceError, OpenAIBackend, type InferenceBackend } from '@locallightchat/inference-bridge';
import { collectStream, sampleInferenceRequest } from '@locallightchat/inference-bridge/conformance';
import { SimulatorBackend } from '../src/backend/simulator-backend.js';
import { startSimulator, type FaultConfig, type RunningSimulator } from '../src/index.js';

/** The hang case's first-token timeout. */
const HANG_TTFT_MS = 1500;
/** Every other case: long enough that no answer times out on a loaded machine (a full run at load ~20 did at 1.5 s). */
const PATIENT_TTFT_MS = 60_000;

interface Seen {
  kind?: string;
  status?: number;
  retryAfterMs?: number;
  beforeFirstToken?: boolean;
  text: string;
  ended: boolean;
}

describe('injected faults through OpenAIBackend and SimulatorBackend', () => {
  let sim: RunningSimulator;
  const backends = (ttftTimeoutMs: number): [InferenceBackend, InferenceBackend] => [
    new OpenAIBackend({ baseURL: sim.url, ttftTimeoutMs }),
    new SimulatorBackend({ core: sim.core, ttftTimeoutMs }),
  ];
  before(async () => {
    sim = await startSimulator({ profile: 'fast' });
  });
  after(() => sim.close());

  async function through(backend: InferenceBackend, faults: Partial<FaultConfig>): Promise<Seen> {
    sim.faults.update({ reset: true, ...faults });
    const out = await collectStream(backend, sampleInferenceRequest({ seed: 11, maxTokens: 50 }));
    sim.faults.update({ reset: true });
    const seen: Seen = { text: out.text, ended: out.end !== undefined };
    if (out.error !== undefined) {
      assert.ok(out.error instanceof InferenceError, 'an InferenceError');
      const { status, retryAfterMs, beforeFirstToken } = out.error.details;
      Object.assign(seen, { kind: out.error.kind, status, retryAfterMs, beforeFirstToken });
    }
    return seen;
  }

  const cases: [string, Partial<FaultConfig>, Partial<Seen>][] = [
    [
      'a 429 with Retry-After',
      { rejectNext: 1, rejectStatus: 429, retryAfterSeconds: 2 },
      { kind: 'overloaded', status: 429, retryAfterMs: 2000 },
    ],
    ['a 503', { rejectNext: 1, rejectStatus: 503 }, { kind: 'overloaded', status: 503 }],
    ['a dead engine', { dead: true }, { kind: 'server', status: 500 }],
    ['a hang (first-token timeout)', { hangNext: 1 }, { kind: 'timeout', beforeFirstToken: true }],
    ['a failure before the first token', { failNext: 1, failAfterTokens: 0 }, { kind: 'server', status: 500 }],
    ['a failure after 4 tokens', { failNext: 1, failAfterTokens: 4 }, { kind: 'server', beforeFirstToken: false }],
  ];
  for (const [name, faults, expected] of cases) {
    it(`agree on ${name}`, async () => {
      const [remote, local] = backends(faults.hangNext ? HANG_TTFT_MS : PATIENT_TTFT_MS);
      const a = await through(remote, faults);
      const b = await through(local, faults);
      assert.deepEqual(b, a);
      for (const [key, value] of Object.entries(expected)) assert.equal(a[key as keyof Seen], value, key);
      assert.equal(a.ended, false);
    });
  }

  it('agree on a fault-free answer', async () => {
    const [remote, local] = backends(PATIENT_TTFT_MS);
    const a = await through(remote, {});
    const b = await through(local, {});
    assert.deepEqual(b, a);
    assert.equal(a.kind, undefined);
    assert.ok(a.ended && a.text.length > 0);
  });
});
