/**
 * OpenAIBackend: error classification, timeouts, reasoning fields, and agreement with the official openai
 * client — against the simulator, plus a scripted node:http server for shapes the simulator never sends
 * (legacy error objects, old error wordings, truncated or malformed streams, split packets).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { InferenceError } from '../src/backend.js';
import { OpenAIBackend, parseRetryAfter } from '../src/backends/index.js';
import { collectStream, sampleInferenceRequest } from '../src/backends/conformance.js';
import { startSimulator, type RunningSimulator } from '@locallightchat/vllm-sim';

function asInferenceError(error: unknown): InferenceError {
  assert.ok(error instanceof InferenceError, `expected an InferenceError, got ${String(error)}`);
  return error;
}

async function setFaults(sim: RunningSimulator, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.origin}/sim/faults`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 200);
}

interface Scripted {
  url: string;
  requests: { headers: IncomingMessage['headers']; body: Record<string, unknown>; path: string }[];
  close(): Promise<void>;
}

/** A server that answers every request with `reply`, recording what it received. */
async function scripted(reply: (res: ServerResponse, path: string) => void | Promise<void>): Promise<Scripted> {
  const requests: Scripted['requests'] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      requests.push({
        headers: req.headers,
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
        path: req.url ?? '',
      });
      void reply(res, req.url ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...(finish ? { stop_reason: null } : {}) }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 9, total_tokens: 12, completion_tokens: 3 } })}\n\n`;

function sse(res: ServerResponse, ...parts: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const p of parts) res.write(p);
  res.end();
}

function jsonError(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('OpenAIBackend against llc-vllm-sim', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ profile: 'fast' });
  });
  after(async () => sim.close());

  it('names itself after host:port', () => {
    assert.equal(new OpenAIBackend({ baseURL: sim.url }).name, `127.0.0.1:${sim.port}`);
  });

  it('classifies 429 as overloaded, with Retry-After in ms, before the first token', async () => {
    await setFaults(sim, { rejectNext: 1, rejectStatus: 429, retryAfterSeconds: 2 });
    const out = await collectStream(new OpenAIBackend({ baseURL: sim.url }), sampleInferenceRequest());
    const e = asInferenceError(out.error);
    assert.equal(e.kind, 'overloaded');
    assert.equal(e.details.status, 429);
    assert.equal(e.details.retryAfterMs, 2000);
    assert.equal(e.details.beforeFirstToken, true);
    assert.equal(e.failoverable, true);
  });

  it('classifies 503 as overloaded', async () => {
    await setFaults(sim, { rejectNext: 1, rejectStatus: 503, retryAfterSeconds: 0 });
    const e = asInferenceError(
      (await collectStream(new OpenAIBackend({ baseURL: sim.url }), sampleInferenceRequest())).error,
    );
    assert.equal(e.kind, 'overloaded');
    assert.equal(e.details.retryAfterMs, undefined);
  });

  it('classifies a dead engine (500) as server', async () => {
    await setFaults(sim, { dead: true });
    try {
      const e = asInferenceError(
        (await collectStream(new OpenAIBackend({ baseURL: sim.url }), sampleInferenceRequest())).error,
      );
      assert.equal(e.kind, 'server');
      assert.equal(e.details.status, 500);
    } finally {
      await setFaults(sim, { dead: false });
    }
  });

  it('times out when no first data line arrives within ttftTimeoutMs, and closes the request', async () => {
    await setFaults(sim, { hangNext: 1 });
    const out = await collectStream(
      new OpenAIBackend({ baseURL: sim.url, ttftTimeoutMs: 150 }),
      sampleInferenceRequest(),
    );
    const e = asInferenceError(out.error);
    assert.equal(e.kind, 'timeout');
    assert.equal(e.details.beforeFirstToken, true);
    assert.equal(e.failoverable, true);
  });

  it('does not time out a stream whose first token came in time', async () => {
    const out = await collectStream(
      new OpenAIBackend({ baseURL: sim.url, ttftTimeoutMs: 5000 }),
      sampleInferenceRequest({ maxTokens: 100 }),
    );
    assert.equal(out.error, undefined);
    assert.ok(out.end);
  });

  it('reports an error inside the stream as server, after the first token', async () => {
    await setFaults(sim, { failNext: 1, failAfterTokens: 4 });
    const out = await collectStream(
      new OpenAIBackend({ baseURL: sim.url }),
      sampleInferenceRequest({ maxTokens: 100 }),
    );
    const e = asInferenceError(out.error);
    assert.equal(e.kind, 'server');
    assert.equal(e.details.beforeFirstToken, false);
    assert.equal(e.details.status, 500);
    assert.ok(out.text.length > 0);
    assert.equal(out.end, undefined);
  });

  it('reports an error inside the stream before any token with beforeFirstToken true', async () => {
    await setFaults(sim, { failNext: 1, failAfterTokens: 0 });
    const e = asInferenceError(
      (await collectStream(new OpenAIBackend({ baseURL: sim.url }), sampleInferenceRequest())).error,
    );
    assert.equal(e.kind, 'server');
    assert.equal(e.details.beforeFirstToken, true);
  });

  it('parses the same stream as the official openai client: same text, same usage', async () => {
    const request = sampleInferenceRequest({ seed: 77, maxTokens: 400 });
    const ours = await collectStream(new OpenAIBackend({ baseURL: sim.url }), request);
    const openai = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | undefined;
    const stream = await openai.chat.completions.create({
      model: sim.model,
      // The sample holds system and user turns only (no tool turns), which the client's types accept as is.
      messages: request.messages as OpenAI.ChatCompletionMessageParam[],
      max_tokens: request.maxTokens,
      seed: request.seed!,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      usage = c.usage ?? usage;
    }
    assert.equal(ours.error, undefined);
    assert.equal(ours.text, text);
    assert.equal(ours.end?.finishReason, finish);
    assert.deepEqual(ours.end?.usage, {
      promptTokens: usage!.prompt_tokens,
      completionTokens: usage!.completion_tokens,
    });
  });

  it('discovers the served model when the request names none', async () => {
    const out = await collectStream(
      new OpenAIBackend({ baseURL: sim.url }),
      sampleInferenceRequest({ model: undefined }),
    );
    assert.equal(out.error, undefined);
  });
});

describe('OpenAIBackend reasoning fields', () => {
  let current: RunningSimulator;
  let legacy: RunningSimulator;
  before(async () => {
    current = await startSimulator({ profile: 'fast', reasoningField: 'reasoning' });
    legacy = await startSimulator({ profile: 'fast', reasoningField: 'reasoning_content' });
  });
  after(async () => {
    await current.close();
    await legacy.close();
  });

  it('surfaces delta.reasoning and legacy delta.reasoning_content alike', async () => {
    const request = sampleInferenceRequest({ seed: 4, maxTokens: 300 });
    const a = await collectStream(new OpenAIBackend({ baseURL: current.url }), request);
    const b = await collectStream(new OpenAIBackend({ baseURL: legacy.url }), request);
    assert.equal(a.error, undefined);
    assert.ok(a.reasoning.length > 20, 'reasoning arrived');
    assert.equal(a.reasoning, b.reasoning);
    assert.equal(a.text, b.text);
    // Reasoning comes first: some deltas carry reasoning and no text.
    assert.ok(a.events.some((e) => e.type === 'delta' && e.text === '' && (e.reasoning ?? '') !== ''));
  });
});

describe('OpenAIBackend against a scripted server', () => {
  it('sends vLLM’s request fields: stream, include_usage, X-Request-Id, bearer key, seed; priority only when non-zero', async () => {
    const server = await scripted((res) =>
      sse(
        res,
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Hi' }),
        chunk({ content: '' }, 'stop'),
        USAGE,
        'data: [DONE]\n\n',
      ),
    );
    try {
      const backend = new OpenAIBackend({ baseURL: server.url, apiKey: 'secret', defaultModel: 'served/model' });
      await collectStream(
        backend,
        sampleInferenceRequest({ requestId: 'req-1', seed: 5, priority: 0, temperature: 0.3 }),
      );
      await collectStream(backend, sampleInferenceRequest({ requestId: 'req-2', priority: -2, model: 'other' }));
      const [first, second] = server.requests;
      assert.equal(first!.path, '/v1/chat/completions');
      assert.equal(first!.headers['x-request-id'], 'req-1');
      assert.equal(first!.headers.authorization, 'Bearer secret');
      assert.deepEqual(
        {
          model: first!.body.model,
          stream: first!.body.stream,
          stream_options: first!.body.stream_options,
          seed: first!.body.seed,
          temperature: first!.body.temperature,
          max_tokens: first!.body.max_tokens,
        },
        {
          model: 'served/model',
          stream: true,
          stream_options: { include_usage: true },
          seed: 5,
          temperature: 0.3,
          max_tokens: 64,
        },
      );
      assert.equal('priority' in first!.body, false, 'priority 0 is not sent');
      assert.equal(second!.body.priority, -2);
      assert.equal(second!.body.model, 'other');
    } finally {
      await server.close();
    }
  });

  it('parses events split across packets, multi-token deltas and text in the final chunk', async () => {
    const body =
      chunk({ role: 'assistant', content: '' }) +
      chunk({ content: 'Hello, wor' }) +
      chunk({ content: 'ld and more' }, 'length') +
      USAGE +
      'data: [DONE]\n\n';
    const server = await scripted(async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Seven-byte writes with pauses: lines and events arrive in pieces.
      for (let i = 0; i < body.length; i += 7) {
        res.write(body.slice(i, i + 7));
        if (i % 70 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      res.end();
    });
    try {
      const out = await collectStream(
        new OpenAIBackend({ baseURL: server.url, defaultModel: 'm' }),
        sampleInferenceRequest(),
      );
      assert.equal(out.error, undefined);
      assert.equal(out.text, 'Hello, world and more');
      assert.equal(out.deltas, 2);
      assert.deepEqual(out.end, {
        type: 'end',
        finishReason: 'length',
        usage: { promptTokens: 9, completionTokens: 3 },
      });
    } finally {
      await server.close();
    }
  });

  const streamCases: [string, string[], InferenceError['kind'], boolean][] = [
    [
      'a legacy flat error object in the stream',
      [
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'a' }),
        'data: {"object": "error", "message": "boom", "type": "InternalServerError", "param": null, "code": 500}\n\n',
        'data: [DONE]\n\n',
      ],
      'server',
      false,
    ],
    [
      'a stream that ends without [DONE]',
      [chunk({ role: 'assistant', content: '' }), chunk({ content: 'a' })],
      'server',
      false,
    ],
    ['a malformed data line', [chunk({ role: 'assistant', content: '' }), 'data: {not json\n\n'], 'server', true],
    ['[DONE] without a finish reason', [chunk({ content: 'a' }), 'data: [DONE]\n\n'], 'server', false],
    ['an event that never ends (over 8 MiB)', ['data: "' + 'x'.repeat(9 * 1024 * 1024)], 'server', true],
    [
      'an in-stream 400 with the old context wording',
      [
        'data: {"error": {"message": "This model\'s maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).", "type": "BadRequestError", "param": null, "code": 400}}\n\n',
        'data: [DONE]\n\n',
      ],
      'context-too-long',
      true,
    ],
  ];
  for (const [what, parts, kind, beforeFirst] of streamCases) {
    it(`classifies ${what} as ${kind}`, async () => {
      const server = await scripted((res) => sse(res, ...parts));
      try {
        const e = asInferenceError(
          (await collectStream(new OpenAIBackend({ baseURL: server.url, defaultModel: 'm' }), sampleInferenceRequest()))
            .error,
        );
        assert.equal(e.kind, kind);
        assert.equal(e.details.beforeFirstToken, beforeFirst);
      } finally {
        await server.close();
      }
    });
  }

  const statusCases: [string, number, unknown, InferenceError['kind']][] = [
    [
      '400 with the old "you requested" wording',
      400,
      {
        object: 'error',
        message:
          "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
      'context-too-long',
    ],
    [
      '400 validation error',
      400,
      { error: { message: 'temperature must be ≥ 0', type: 'Bad Request', param: null, code: 400 } },
      'bad-request',
    ],
    [
      '401 unauthorized',
      401,
      { error: { message: 'Unauthorized', type: 'AuthenticationError', param: null, code: 401 } },
      'bad-request',
    ],
    ['404 FastAPI detail', 404, { detail: 'Not Found' }, 'model-not-found'],
    ['502 from a proxy', 502, '<html>bad gateway</html>', 'server'],
  ];
  for (const [what, status, body, kind] of statusCases) {
    it(`classifies ${what} as ${kind}`, async () => {
      const server = await scripted((res) => {
        if (typeof body !== 'string') return jsonError(res, status, body);
        res.writeHead(status);
        res.end(body);
      });
      try {
        const e = asInferenceError(
          (await collectStream(new OpenAIBackend({ baseURL: server.url, defaultModel: 'm' }), sampleInferenceRequest()))
            .error,
        );
        assert.equal(e.kind, kind);
        assert.equal(e.details.status, status);
        assert.equal(e.details.beforeFirstToken, true);
      } finally {
        await server.close();
      }
    });
  }

  it('classifies a refused connection as connect', async () => {
    const server = await scripted(() => undefined);
    const url = server.url;
    await server.close();
    const e = asInferenceError(
      (await collectStream(new OpenAIBackend({ baseURL: url, defaultModel: 'm' }), sampleInferenceRequest())).error,
    );
    assert.equal(e.kind, 'connect');
    assert.equal(e.details.beforeFirstToken, true);
    assert.equal(e.failoverable, true);
  });

  it('classifies a connection closed before any response as connect', async () => {
    const server = await scripted((res) => void res.socket?.destroy());
    try {
      const e = asInferenceError(
        (await collectStream(new OpenAIBackend({ baseURL: server.url, defaultModel: 'm' }), sampleInferenceRequest()))
          .error,
      );
      assert.equal(e.kind, 'connect');
    } finally {
      await server.close();
    }
  });

  it('classifies a connection reset mid-stream as server, after the first token, keeping the text before it', async () => {
    const server = await scripted((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
      res.write(chunk({ content: 'kept' }), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    try {
      const out = await collectStream(
        new OpenAIBackend({ baseURL: server.url, defaultModel: 'm' }),
        sampleInferenceRequest(),
      );
      assert.equal(out.text, 'kept');
      const e = asInferenceError(out.error);
      assert.equal(e.kind, 'server');
      assert.equal(e.details.beforeFirstToken, false);
    } finally {
      await server.close();
    }
  });

  it('aborts a request still waiting for its headers with aborted', async () => {
    const server = await scripted(() => undefined);
    try {
      const controller = new AbortController();
      const pending = collectStream(
        new OpenAIBackend({ baseURL: server.url, defaultModel: 'm' }),
        sampleInferenceRequest(),
        controller.signal,
      );
      setTimeout(() => controller.abort(), 50);
      assert.equal(asInferenceError((await pending).error).kind, 'aborted');
    } finally {
      await server.close();
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('0.5'), 500);
    assert.equal(
      parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1, 0, 0, 0)),
      10_000,
    );
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});
