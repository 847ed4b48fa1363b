/**
 * Reasoning through the bridge: vLLM's `delta.reasoning` (and the legacy `delta.reasoning_content`) from a
 * simulator acting as a reasoning model become `TokenFrame.reasoning`, never mixed into the text, and the
 * stream's end says how long the model reasoned (`reasoningMs`, from the first reasoning delta to the first
 * answer delta). An answer without reasoning has no `reasoningMs`.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startSimulator, type RunningSimulator } from '@locallightchat/vllm-sim';
import { OpenAIBackend } from '../src/backends/index.js';
import { RoundRobinRouter } from '../src/router.js';
import { BridgeHarness } from './support/bridge-harness.js';

describe('Bridge: reasoning deltas', () => {
  let sim: RunningSimulator | undefined;
  let harness: BridgeHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    await sim?.close();
    harness = undefined;
    sim = undefined;
  });

  for (const field of ['reasoning', 'reasoning_content'] as const) {
    it(`carries delta.${field} as TokenFrame.reasoning and measures reasoningMs`, async () => {
      sim = await startSimulator({ profile: '8b-h100', reasoningField: field });
      harness = new BridgeHarness(new RoundRobinRouter([new OpenAIBackend({ baseURL: sim.url })]));
      const answer = await harness.submit({ maxTokens: 200 });
      const end = await answer.ended;
      const tokens = answer.events.flatMap((e) => (e.type === 'token' ? [e] : []));
      const reasoning = tokens.map((t) => t.reasoning ?? '').join('');
      assert.match(reasoning, /^The user asks about /);
      assert.ok(!answer.text.includes('The user asks about'), 'reasoning is not in the text');
      // Thoughts come first: no reasoning after the first answer text.
      const firstText = tokens.findIndex((t) => t.text.length > 0);
      assert.ok(firstText >= 0);
      assert.ok(tokens.slice(firstText + 1).every((t) => !t.reasoning));
      assert.equal(typeof end.reasoningMs, 'number');
      // ~20+ reasoning tokens at the profile's ~4.6 ms per step.
      assert.ok(end.reasoningMs! > 20, `reasoningMs ${end.reasoningMs}`);
    });
  }

  it('has no reasoningMs without reasoning', async () => {
    sim = await startSimulator({ profile: 'fast' });
    harness = new BridgeHarness(new RoundRobinRouter([new OpenAIBackend({ baseURL: sim.url })]));
    const end = await (await harness.submit()).ended;
    assert.equal(end.finishReason === 'stop' || end.finishReason === 'length', true);
    assert.equal(end.reasoningMs, undefined);
  });
});
