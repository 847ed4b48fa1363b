/**
 * `guardFirstToken`, the part every InferenceBackend shares: the caller's abort, the first-token timeout, and
 * errors that know whether a delta went out. Driven by small producers here; the conformance suite checks the
 * same rules through both real adapters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferenceError, type InferenceEvent } from '../src/backend.js';
import { guardFirstToken, type StreamExchange } from '../src/backends/first-token-guard.js';

const END: InferenceEvent = { type: 'end', finishReason: 'stop' };

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

async function drain(stream: AsyncIterable<InferenceEvent>): Promise<{ events: InferenceEvent[]; error?: unknown }> {
  const events: InferenceEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events };
}

function asInferenceError(error: unknown): InferenceError {
  assert.ok(error instanceof InferenceError, `expected an InferenceError, got ${String(error)}`);
  return error;
}

describe('guardFirstToken', () => {
  it('refuses an already aborted signal without starting the producer', async () => {
    const controller = new AbortController();
    controller.abort();
    let started = false;
    const out = await drain(
      guardFirstToken(
        async function* () {
          started = true;
          yield END;
        },
        { signal: controller.signal, backend: 'b' },
      ),
    );
    const e = asInferenceError(out.error);
    assert.equal(e.kind, 'aborted');
    assert.equal(e.details.backend, 'b');
    assert.equal(e.details.beforeFirstToken, true);
    assert.equal(started, false);
  });

  it('times out a producer that yields nothing, aborting its signal', async () => {
    let seen: StreamExchange | undefined;
    const out = await drain(
      guardFirstToken(
        async function* (exchange) {
          seen = exchange;
          await aborted(exchange.signal);
          const cut = exchange.interruption();
          if (cut) throw cut;
          yield END;
        },
        { signal: new AbortController().signal, ttftMs: 20, backend: 'slow' },
      ),
    );
    const e = asInferenceError(out.error);
    assert.equal(e.kind, 'timeout');
    assert.match(e.message, /no first token from slow within 20 ms/);
    assert.equal(e.failoverable, true);
    assert.equal(seen?.signal.aborted, true);
  });

  it('stops the first-token timer at the first event', async () => {
    const out = await drain(
      guardFirstToken(
        async function* () {
          yield { type: 'delta', text: 'a' };
          await new Promise((r) => setTimeout(r, 80));
          yield END;
        },
        { signal: new AbortController().signal, ttftMs: 20, backend: 'b' },
      ),
    );
    assert.equal(out.error, undefined);
    assert.deepEqual(
      out.events.map((e) => e.type),
      ['delta', 'end'],
    );
  });

  it('ends with aborted (after the first token) when the caller aborts while holding a delta', async () => {
    const controller = new AbortController();
    let producerClosed = false;
    const stream = guardFirstToken(
      async function* () {
        try {
          yield { type: 'delta', text: 'a' };
          yield { type: 'delta', text: 'b' };
          yield END;
        } finally {
          producerClosed = true;
        }
      },
      { signal: controller.signal, backend: 'b' },
    );
    const events: InferenceEvent[] = [];
    let error: unknown;
    try {
      for await (const event of stream) {
        events.push(event);
        controller.abort();
      }
    } catch (e) {
      error = e;
    }
    const e = asInferenceError(error);
    assert.equal(e.kind, 'aborted');
    assert.equal(e.details.beforeFirstToken, false);
    assert.equal(events.length, 1, 'nothing is passed on after the abort');
    assert.equal(producerClosed, true, "the producer's finally ran");
  });

  it("makes the producer's errors carry whether a delta went out", async () => {
    const kinds: boolean[] = [];
    const out = await drain(
      guardFirstToken(
        async function* (exchange) {
          kinds.push(exchange.error('server', 'x').details.beforeFirstToken ?? true);
          yield { type: 'delta', text: 'a' };
          throw exchange.error('server', 'broke', { status: 500 });
        },
        { signal: new AbortController().signal, backend: 'b' },
      ),
    );
    const e = asInferenceError(out.error);
    assert.deepEqual(kinds, [true]);
    assert.equal(e.details.beforeFirstToken, false);
    assert.equal(e.details.status, 500);
    assert.equal(e.details.backend, 'b');
  });

  it('aborts the exchange when the consumer stops early', async () => {
    let signal: AbortSignal | undefined;
    for await (const event of guardFirstToken(
      async function* (exchange) {
        signal = exchange.signal;
        yield { type: 'delta', text: 'a' };
        yield END;
      },
      { signal: new AbortController().signal, backend: 'b' },
    )) {
      if (event.type === 'delta') break;
    }
    assert.equal(signal?.aborted, true);
  });
});
