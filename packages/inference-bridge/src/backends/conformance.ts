/**
 * The InferenceBackend conformance suite. Every adapter runs it (test/backend-conformance.test.ts):
 * `OpenAIBackend` against `llc-vllm-sim` over HTTP and `SimulatorBackend` in-process. What the bridge relies
 * on is written down here once: event order, determinism, finish reasons, usage, abort, error kinds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  InferenceError,
  type InferenceBackend,
  type InferenceEvent,
  type InferenceRequest,
  type Usage,
} from '../backend.js';

/** One adapter under test, with what the suite needs to know about its server. */
export interface BackendHarness {
  backend: InferenceBackend;
  /** The served model's context window, in tokens (to build prompts that cannot fit). */
  maxModelLen: number;
  /** Requests the server still holds (running + waiting), to check that aborts free capacity. */
  pending?(): Promise<number>;
  teardown(): Promise<void>;
}

let counter = 0;

/** A valid request with a fresh id (and seed 7), with `overrides` applied. */
export function sampleInferenceRequest(overrides: Partial<InferenceRequest> = {}): InferenceRequest {
  return {
    requestId: `conf-${process.pid}-${++counter}`,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Explain how streaming responses stay resumable over websockets.' },
    ],
    maxTokens: 64,
    seed: 7,
    ...overrides,
  };
}

/** Everything one stream produced, as {@link collectStream} gathers it. */
export interface StreamOutcome {
  text: string;
  reasoning: string;
  deltas: number;
  events: InferenceEvent[];
  end?: Extract<InferenceEvent, { type: 'end' }>;
  error?: unknown;
}

/** Runs one stream to its end (or error), collecting everything. */
export async function collectStream(
  backend: InferenceBackend,
  request: InferenceRequest,
  signal: AbortSignal = new AbortController().signal,
): Promise<StreamOutcome> {
  const out: StreamOutcome = { text: '', reasoning: '', deltas: 0, events: [] };
  try {
    for await (const event of backend.stream(request, signal)) {
      out.events.push(event);
      if (event.type === 'delta') {
        out.deltas++;
        out.text += event.text;
        out.reasoning += event.reasoning ?? '';
      } else out.end = event;
    }
  } catch (error) {
    out.error = error;
  }
  return out;
}

/** Polls until `check` holds (a bounded wait, not a timing assertion). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function assertInferenceError(error: unknown, kind: InferenceError['kind']): InferenceError {
  assert.ok(error instanceof InferenceError, `expected an InferenceError(${kind}), got ${String(error)}`);
  assert.equal(error.kind, kind, `error kind (message: ${error.message})`);
  return error;
}

function assertUsage(usage: Usage | undefined): Usage {
  assert.ok(usage, 'the end event carries usage');
  assert.ok(usage.promptTokens > 0, 'prompt tokens counted');
  assert.ok(usage.completionTokens > 0, 'completion tokens counted');
  return usage;
}

/** Registers the conformance suite for one adapter (`makeHarness` runs once, before the suite). */
export function runBackendConformance(name: string, makeHarness: () => Promise<BackendHarness>): void {
  describe(`InferenceBackend conformance: ${name}`, () => {
    let h: BackendHarness;
    before(async () => {
      h = await makeHarness();
    });
    after(async () => h.teardown());

    it('streams deltas, then exactly one end event with usage, and nothing after it', async () => {
      const out = await collectStream(h.backend, sampleInferenceRequest());
      assert.equal(out.error, undefined);
      assert.ok(out.deltas > 0 && out.text.length > 0, 'some text');
      const ends = out.events.filter((e) => e.type === 'end');
      assert.equal(ends.length, 1);
      assert.equal(out.events.at(-1)?.type, 'end');
      assert.ok(['stop', 'length'].includes(out.end!.finishReason));
      const usage = assertUsage(out.end!.usage);
      assert.ok(usage.completionTokens <= 64);
      // Deltas may carry several tokens: never more deltas than tokens, and no empty deltas.
      assert.ok(out.deltas <= usage.completionTokens);
      assert.ok(out.events.every((e) => e.type !== 'delta' || e.text.length > 0 || (e.reasoning ?? '').length > 0));
    });

    it('gives the same text for the same request and seed', async () => {
      const request = sampleInferenceRequest({ seed: 1234 });
      const a = await collectStream(h.backend, request);
      const b = await collectStream(h.backend, { ...request, requestId: `${request.requestId}-again` });
      assert.equal(a.error, undefined);
      assert.equal(b.error, undefined);
      assert.equal(a.text, b.text);
      assert.deepEqual(a.end?.usage, b.end?.usage);
    });

    it('stops at maxTokens with finish reason length and exact completion usage', async () => {
      const out = await collectStream(h.backend, sampleInferenceRequest({ maxTokens: 5 }));
      assert.equal(out.error, undefined);
      assert.equal(out.end?.finishReason, 'length');
      assert.equal(assertUsage(out.end?.usage).completionTokens, 5);
    });

    it('serves concurrent streams independently', async () => {
      const requests = Array.from({ length: 12 }, (_, i) =>
        sampleInferenceRequest({ seed: 100 + (i % 3), maxTokens: 40 }),
      );
      const outs = await Promise.all(requests.map((r) => collectStream(h.backend, r)));
      for (const out of outs) assert.equal(out.error, undefined);
      for (let i = 3; i < outs.length; i++)
        assert.equal(outs[i]!.text, outs[i % 3]!.text, `stream ${i} matches its seed twin`);
    });

    it('ends with an aborted error when the caller aborts mid-stream, and frees the request', async () => {
      const controller = new AbortController();
      let error: unknown;
      let events = 0;
      try {
        for await (const event of h.backend.stream(
          sampleInferenceRequest({ maxTokens: 2000, seed: 99 }),
          controller.signal,
        )) {
          events++;
          if (event.type === 'delta') controller.abort();
        }
      } catch (e) {
        error = e;
      }
      const e = assertInferenceError(error, 'aborted');
      assert.equal(e.details.beforeFirstToken, false);
      assert.equal(events, 1, 'nothing is yielded after the abort');
      if (h.pending) await waitFor(async () => (await h.pending!()) === 0, 'the server to drop the aborted request');
    });

    it('ends with an aborted error for an already aborted signal', async () => {
      const controller = new AbortController();
      controller.abort();
      const out = await collectStream(h.backend, sampleInferenceRequest(), controller.signal);
      assertInferenceError(out.error, 'aborted');
      assert.equal(out.deltas, 0);
    });

    it('frees the request when the consumer stops iterating early', async () => {
      for await (const event of h.backend.stream(
        sampleInferenceRequest({ maxTokens: 2000, seed: 5 }),
        new AbortController().signal,
      )) {
        if (event.type === 'delta') break;
      }
      if (h.pending) await waitFor(async () => (await h.pending!()) === 0, 'the server to drop the abandoned request');
    });

    it('reports an unknown model as model-not-found, before the first token', async () => {
      const out = await collectStream(h.backend, sampleInferenceRequest({ model: 'no-such/model' }));
      const e = assertInferenceError(out.error, 'model-not-found');
      assert.equal(e.details.beforeFirstToken, true);
      assert.equal(e.failoverable, false);
    });

    it('reports a prompt longer than the context window as context-too-long', async () => {
      const content = 'word '.repeat(h.maxModelLen + 10);
      const out = await collectStream(h.backend, sampleInferenceRequest({ messages: [{ role: 'user', content }] }));
      const e = assertInferenceError(out.error, 'context-too-long');
      assert.equal(e.details.beforeFirstToken, true);
    });

    it('reports prompt + maxTokens beyond the context window as context-too-long', async () => {
      const out = await collectStream(h.backend, sampleInferenceRequest({ maxTokens: h.maxModelLen }));
      assertInferenceError(out.error, 'context-too-long');
    });
  });
}
