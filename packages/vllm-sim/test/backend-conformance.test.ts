/**
 * The InferenceBackend conformance suite against both adapters: OpenAIBackend over HTTP to the simulator, and
 * SimulatorBackend in-process. Plus: the two give the same text for the same request and seed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAIBackend } from '@locallightchat/inference-bridge';
import {
  collectStream,
  runBackendConformance,
  sampleInferenceRequest,
} from '@locallightchat/inference-bridge/conformance';
import { SimulatorBackend } from '../src/backend/simulator-backend.js';
import { startSimulator, type RunningSimulator } from '../src/index.js';

runBackendConformance('OpenAIBackend → llc-vllm-sim (HTTP)', async () => {
  const sim = await startSimulator({ profile: 'fast', maxModelLen: 2048, kvCacheTokens: 200_000 });
  return {
    backend: new OpenAIBackend({ baseURL: sim.url }),
    maxModelLen: 2048,
    pending: async () => sim.engine.running.length + sim.engine.waiting.length,
    teardown: () => sim.close(),
  };
});

runBackendConformance('SimulatorBackend (in-process)', async () => {
  const backend = new SimulatorBackend({ profile: 'fast', maxModelLen: 2048 });
  return {
    backend,
    maxModelLen: 2048,
    pending: async () => backend.core.engine.running.length + backend.core.engine.waiting.length,
    teardown: async () => backend.close(),
  };
});

describe('OpenAIBackend and SimulatorBackend agree', () => {
  let sim: RunningSimulator;
  let local: SimulatorBackend;
  before(async () => {
    sim = await startSimulator({ profile: 'fast' });
    local = new SimulatorBackend({ profile: 'fast' });
  });
  after(async () => {
    local.close();
    await sim.close();
  });

  it('produces the same text and usage for the same request and seed', async () => {
    const remote = new OpenAIBackend({ baseURL: sim.url });
    for (const seed of [1, 2, 3]) {
      const request = sampleInferenceRequest({ seed, maxTokens: 300 });
      const [a, b] = await Promise.all([collectStream(remote, request), collectStream(local, request)]);
      assert.equal(a.error, undefined);
      assert.equal(b.error, undefined);
      assert.equal(a.text, b.text);
      assert.deepEqual(a.end, b.end);
    }
  });
});
