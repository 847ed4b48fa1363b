/**
 * llc-vllm-sim over real HTTP, driven by the official `openai` client (an independent implementation of the
 * protocol) and by raw fetch where bytes matter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { SimulatorCore, startSimulator, type RunningSimulator } from '../src/index.js';

/**
 * The example stream of shared/research/vllm-chat-stream.example.sse (in the shape of real vLLM captures, vLLM
 * PR #15593 and issue #35705), inlined so the test does not depend on files outside the repository.
 */
const EXAMPLE_SSE = [
  'data: {"id":"chatcmpl-b1","object":"chat.completion.chunk","created":1743083258,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}',
  'data: {"id":"chatcmpl-b1","object":"chat.completion.chunk","created":1743083258,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}',
  'data: {"id":"chatcmpl-b1","object":"chat.completion.chunk","created":1743083258,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]}',
  'data: {"id":"chatcmpl-b1","object":"chat.completion.chunk","created":1743083258,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}',
  'data: {"id":"chatcmpl-b1","object":"chat.completion.chunk","created":1743083258,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[],"usage":{"prompt_tokens":12,"total_tokens":15,"completion_tokens":3}}',
  'data: [DONE]',
].join('\n\n');
const USER = [{ role: 'user' as const, content: 'Explain websocket reconnection with resumable streams.' }];

function client(sim: RunningSimulator): OpenAI {
  return new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
}

/** Raw SSE events of a streaming request (the `data:` payloads, in order). */
async function rawStream(
  sim: RunningSimulator,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; contentType: string | null }> {
  const res = await fetch(`${sim.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
}

async function metric(sim: RunningSimulator, name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`${sim.origin}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (labels && !line.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setFaults(sim: RunningSimulator, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${sim.origin}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('llc-vllm-sim with the official openai client', () => {
  let sim: RunningSimulator;
  let openai: OpenAI;
  before(async () => {
    sim = await startSimulator({ profile: 'fast', maxModelLen: 4096 });
    openai = client(sim);
  });
  after(async () => sim.close());

  it('streams a chat completion with a usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: sim.model,
      messages: USER,
      max_tokens: 200,
      seed: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let roles = 0;
    for await (const chunk of stream) {
      if (chunk.usage) {
        assert.deepEqual(chunk.choices, [], 'the usage chunk has no choices');
        usage = chunk.usage;
      }
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.role) roles++;
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(roles, 1);
    assert.ok(text.length > 50, 'some text');
    assert.ok(finish === 'stop' || finish === 'length', `finish ${finish}`);
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  it('answers non-streaming with the same text as the stream for the same seed', async () => {
    const request = { model: sim.model, messages: USER, max_tokens: 120, seed: 9 };
    const full = await openai.chat.completions.create(request);
    let streamed = '';
    for await (const chunk of await openai.chat.completions.create({ ...request, stream: true }))
      streamed += chunk.choices[0]?.delta.content ?? '';
    assert.equal(full.object, 'chat.completion');
    assert.equal(full.choices[0]!.message.role, 'assistant');
    assert.equal(full.choices[0]!.message.content, streamed);
    assert.ok(full.usage && full.usage.completion_tokens <= 120);
  });

  it('lists the served model in vLLM’s shape', async () => {
    const models = [];
    for await (const m of openai.models.list()) models.push(m);
    assert.equal(models.length, 1);
    assert.equal(models[0]!.id, sim.model);
    assert.equal(models[0]!.owned_by, 'vllm');
    const raw = (await (await fetch(`${sim.url}/models`)).json()) as {
      data: { max_model_len: number; root: string; parent: null }[];
    };
    assert.equal(raw.data[0]!.max_model_len, 4096);
    assert.equal(raw.data[0]!.root, sim.model);
    assert.equal(raw.data[0]!.parent, null);
  });

  it('refuses a prompt beyond the context window with 400 before the stream', async () => {
    const content = 'word '.repeat(5000);
    await assert.rejects(
      openai.chat.completions.create({ model: sim.model, messages: [{ role: 'user', content }], stream: true }),
      (error: unknown) => {
        assert.ok(error instanceof APIError, 'an APIError');
        assert.equal(error.status, 400);
        assert.match(
          error.message,
          /maximum context length is 4096 tokens\. However, your request has \d+ input tokens/,
        );
        assert.equal((error.error as { param?: string }).param, 'input_tokens');
        return true;
      },
    );
  });

  it('refuses an oversize max_tokens with param max_tokens', async () => {
    await assert.rejects(
      openai.chat.completions.create({ model: sim.model, messages: USER, max_tokens: 5000 }),
      (error: unknown) => {
        assert.ok(error instanceof APIError && error.status === 400, 'status 400');
        assert.match(error.message, /'max_tokens' or 'max_completion_tokens' is too large: 5000/);
        assert.equal((error.error as { param?: string }).param, 'max_tokens');
        return true;
      },
    );
  });

  it('answers 404 NotFoundError for an unknown model', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'nope', messages: USER }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError, 'NotFoundError');
      assert.equal((error.error as { param?: string }).param, 'model');
      assert.match(error.message, /The model `nope` does not exist/);
      return true;
    });
  });

  it('refuses a non-zero priority under fcfs, as vLLM does', async () => {
    const body = { model: sim.model, messages: USER, priority: 3 } as OpenAI.ChatCompletionCreateParamsNonStreaming;
    await assert.rejects(openai.chat.completions.create(body), /Got priority 3 but Priority scheduling is not enabled/);
  });

  it('surfaces an error inside the 200 stream (the SDK throws), after the tokens before it', async () => {
    assert.equal((await setFaults(sim, { failNext: 1, failAfterTokens: 3 })).status, 200);
    const stream = await openai.chat.completions.create({
      model: sim.model,
      messages: USER,
      max_tokens: 100,
      stream: true,
    });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
      (error: unknown) => {
        assert.ok(error instanceof APIError, 'an APIError');
        assert.equal(error.status, undefined, 'no HTTP status: it came inside the stream');
        assert.match(error.message, /Internal server error/);
        return true;
      },
    );
    assert.ok(text.length > 0, 'tokens before the failure arrived');
  });

  it('counts an abort in /metrics when the client closes the stream', async () => {
    const before = (await metric(sim, 'vllm:request_success_total', 'finished_reason="abort"')) ?? 0;
    const stream = await openai.chat.completions.create({
      model: sim.model,
      messages: USER,
      max_tokens: 3000,
      stream: true,
      ignore_eos: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) {
        stream.controller.abort();
        break;
      }
    }
    await eventually(
      async () => ((await metric(sim, 'vllm:request_success_total', 'finished_reason="abort"')) ?? 0) === before + 1,
      'an abort to be counted',
    );
    await eventually(
      async () => (await metric(sim, 'vllm:num_requests_running')) === 0,
      'the sequence to leave the batch',
    );
    assert.equal(sim.engine.kvBlocksUsed, 0, 'KV freed');
  });

  it('streams /v1/completions with text_completion chunks', async () => {
    const stream = await openai.completions.create({
      model: sim.model,
      prompt: 'Streaming is',
      max_tokens: 30,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      text += chunk.choices[0]?.text ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.ok(text.length > 0);
    assert.ok(usage && usage.completion_tokens > 0 && usage.completion_tokens <= 30);
    const full = await openai.completions.create({ model: sim.model, prompt: 'Streaming is', max_tokens: 30 });
    assert.equal(full.choices[0]!.text, text);
  });

  it('uses X-Request-Id in the completion id', async () => {
    const { text } = await rawStream(
      sim,
      { messages: USER, max_tokens: 5, stream: true },
      { 'x-request-id': 'abc-123' },
    );
    assert.match(text, /^data: \{"id":"chatcmpl-abc-123",/);
  });
});

describe('llc-vllm-sim wire format', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ profile: 'fast' });
  });
  after(async () => sim.close());

  it('matches the example vLLM stream byte for byte, modulo id, timestamps, text and counts', async () => {
    const example = EXAMPLE_SSE.split('\n\n');
    // A short answer that ends with EOS: role, content…, final (content ""), usage, [DONE].
    let seed = 0;
    let got = '';
    for (; seed < 50; seed++) {
      const r = await rawStream(
        sim,
        {
          model: sim.model,
          messages: [{ role: 'user', content: 'Hi' }],
          seed,
          max_tokens: 3000,
          stream: true,
          stream_options: { include_usage: true },
        },
        { 'x-request-id': 'b1' },
      );
      assert.equal(r.status, 200);
      assert.equal(r.contentType, 'text/event-stream; charset=utf-8');
      if (r.text.includes('"finish_reason":"stop"')) {
        got = r.text;
        break;
      }
    }
    assert.ok(got, 'found an answer that ends with stop');
    assert.ok(got.endsWith('data: [DONE]\n\n'), 'ends with [DONE] and a blank line');
    assert.doesNotMatch(got, /^event:/m, 'no event: lines');
    const events = got.trim().split('\n\n');
    const normalize = (e: string) =>
      e
        .replace(/"created":\d+/, '"created":0')
        .replace(/"delta":\{"content":"(?:[^"\\]|\\.)+"\}/, '"delta":{"content":"…"}')
        .replace(
          /"prompt_tokens":\d+,"total_tokens":\d+,"completion_tokens":\d+/,
          '"prompt_tokens":P,"total_tokens":T,"completion_tokens":C',
        );
    const ex = example.map(normalize);
    const ours = events.map(normalize);
    assert.equal(ours[0], ex[0], 'role chunk');
    for (const middle of ours.slice(1, -3)) assert.equal(middle, ex[1], 'content chunk');
    // The final chunk may still carry text when the last tokens and EOS arrive in one write (coalescing).
    assert.equal(ours.at(-3)!.replace('"content":"…"', '"content":""'), ex[3], 'final chunk');
    assert.equal(ours.at(-2), ex[4], 'usage chunk');
    assert.equal(ours.at(-1), ex[5], '[DONE]');
    // The numbers add up, and content chunks never outnumber completion tokens.
    const usage = (JSON.parse(events.at(-2)!.slice(6)) as { usage: unknown }).usage as {
      prompt_tokens: number;
      completion_tokens: number;
      total_tokens: number;
    };
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.ok(events.length - 4 <= usage.completion_tokens);
  });

  it('puts the last tokens into the final chunk when max_tokens ends the answer', async () => {
    const { text } = await rawStream(sim, { messages: USER, max_tokens: 7, ignore_eos: true, stream: true });
    const final = text.trim().split('\n\n').at(-2)!;
    assert.match(
      final,
      /"delta":\{"content":"[^"]+"\},"logprobs":null,"finish_reason":"length","stop_reason":null\}\]\}$/,
    );
  });

  it('coalesces several tokens into one delta when steps outrun the writes', async () => {
    const fast = await startSimulator({ profile: 'fast', speed: 200 });
    try {
      const { text } = await rawStream(fast, {
        messages: USER,
        max_tokens: 400,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      });
      const content = text
        .trim()
        .split('\n\n')
        .filter((e) => e.includes('"content":"') && !e.includes('"role"'));
      assert.ok(content.length < 400 / 2, `400 tokens in ${content.length} deltas`);
      assert.match(text, /"completion_tokens":400\}/);
    } finally {
      await fast.close();
    }
  });

  it('writes the first token at once, then a delta per --stream-interval tokens, the rest with the finish', async () => {
    // Manual clocks, one engine step per event-loop turn: every step's tokens are flushed before the next step,
    // so what the stream groups is the interval's doing alone, whatever the machine's load.
    const spaced = await startSimulator({ profile: 'fast', clock: 'manual', streamInterval: 4 });
    const plain = await startSimulator({ profile: 'fast', clock: 'manual' });
    try {
      type Chunk = {
        choices: { delta: { content?: string }; finish_reason: string | null }[];
        usage: { completion_tokens: number };
      };
      const read = async (sim: RunningSimulator) => {
        const res = await fetch(`${sim.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: USER,
            seed: 7,
            max_tokens: 30,
            ignore_eos: true,
            stream: true,
            stream_options: { include_usage: true, continuous_usage_stats: true },
          }),
        });
        while (!sim.engine.idle) {
          sim.engine.step();
          for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
        }
        return (await res.text())
          .trim()
          .split('\n\n')
          .filter((e) => e !== 'data: [DONE]')
          .map((e) => JSON.parse(e.slice(6)) as Chunk)
          .filter((c) => (c.choices[0]?.delta.content ?? '') !== '');
      };
      const deltas = await read(spaced);
      assert.deepEqual(
        deltas.map((c) => c.usage.completion_tokens),
        [1, 5, 9, 13, 17, 21, 25, 29, 30],
        'the first token alone, then 4 at a time, the last with the finish',
      );
      assert.equal(deltas.at(-1)!.choices[0]!.finish_reason, 'length');
      const one = await read(plain);
      assert.equal(one.length, 30, 'interval 1: a delta per token');
      const text = (cs: Chunk[]) => cs.map((c) => c.choices[0]!.delta.content).join('');
      assert.equal(text(deltas), text(one), 'the same answer as with interval 1');
      assert.throws(() => new SimulatorCore({ streamInterval: 0 }), RangeError);
    } finally {
      await Promise.all([spaced.close(), plain.close()]);
    }
  });

  it('writes errors inside the stream with json.dumps spacing, then [DONE]', async () => {
    await setFaults(sim, { failNext: 1, failAfterTokens: 0 });
    const { status, text } = await rawStream(sim, { messages: USER, stream: true });
    assert.equal(status, 200);
    assert.equal(
      text,
      'data: {"error": {"message": "Internal server error", "type": "InternalServerError", "param": null, "code": 500}}\n\ndata: [DONE]\n\n',
    );
  });

  it('sends continuous usage stats on every chunk when asked', async () => {
    const { text } = await rawStream(sim, {
      messages: USER,
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    const events = text.trim().split('\n\n').slice(0, -1);
    for (const e of events)
      assert.match(e, /"usage":\{"prompt_tokens":\d+,"total_tokens":\d+,"completion_tokens":\d+\}\}$/);
  });

  it('rejects stream_options without stream, like vLLM', async () => {
    const { status, text } = await rawStream(sim, { messages: USER, stream_options: { include_usage: true } });
    assert.equal(status, 400);
    assert.match(text, /Stream options can only be defined when `stream=True`/);
  });
});

describe('llc-vllm-sim health, metrics and fault injection', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ profile: 'fast', model: 'test/model' });
  });
  after(async () => sim.close());

  it('answers /health with 200 and an empty body, 503 while dead (and completions fail with 500)', async () => {
    let res = await fetch(`${sim.origin}/health`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    await setFaults(sim, { dead: true });
    res = await fetch(`${sim.origin}/health`);
    assert.equal(res.status, 503);
    await assert.rejects(
      client(sim).chat.completions.create({ model: sim.model, messages: USER }),
      (e: unknown) => e instanceof APIError && e.status === 500,
    );
    await setFaults(sim, { dead: false });
    assert.equal((await fetch(`${sim.origin}/health`)).status, 200);
  });

  it('rejects the next requests with 429 or 503 and Retry-After', async () => {
    await setFaults(sim, { rejectNext: 2, rejectStatus: 429, retryAfterSeconds: 3 });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ messages: USER, stream: true }),
      });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '3');
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, 429);
    }
    const ok = await rawStream(sim, { messages: USER, max_tokens: 3, stream: true });
    assert.equal(ok.status, 200);
    const state = (await (await fetch(`${sim.origin}/sim/state`)).json()) as {
      faults: { rejectNext: number };
      model: string;
    };
    assert.equal(state.faults.rejectNext, 0);
    assert.equal(state.model, 'test/model');
  });

  it('validates fault settings', async () => {
    assert.equal((await setFaults(sim, { nonsense: 1 })).status, 400);
    assert.equal((await setFaults(sim, { rejectStatus: 500 })).status, 400);
    assert.equal((await setFaults(sim, { reset: true })).status, 200);
  });

  it('hangs after the headers when told to (for TTFT timeouts), until the client gives up', async () => {
    await setFaults(sim, { hangNext: 1 });
    const controller = new AbortController();
    const res = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: USER, stream: true }),
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await Promise.race([
      reader.read().then(() => 'data'),
      new Promise((r) => setTimeout(() => r('silence'), 300)),
    ]);
    assert.equal(first, 'silence');
    controller.abort();
    await reader.read().catch(() => undefined);
  });

  it('exports vLLM’s metrics with the model_name label, consistent with usage', async () => {
    const prompt0 = (await metric(sim, 'vllm:prompt_tokens_total')) ?? 0;
    const gen0 = (await metric(sim, 'vllm:generation_tokens_total')) ?? 0;
    const res = await client(sim).chat.completions.create({ model: sim.model, messages: USER, max_tokens: 20 });
    assert.equal(await metric(sim, 'vllm:prompt_tokens_total'), prompt0 + res.usage!.prompt_tokens);
    assert.equal(await metric(sim, 'vllm:generation_tokens_total'), gen0 + res.usage!.completion_tokens);
    const text = await (await fetch(`${sim.origin}/metrics`)).text();
    for (const name of [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:time_to_first_token_seconds_bucket',
      'vllm:inter_token_latency_seconds_bucket',
      'vllm:e2e_request_latency_seconds_count',
      'vllm:request_queue_time_seconds_count',
      'vllm:num_preemptions_total',
    ]) {
      assert.match(text, new RegExp(`^${name}\\{[^}]*model_name="test/model"`, 'm'), name);
    }
    assert.match(text, /^vllm:request_success_total\{[^}]*finished_reason="length"\} [1-9]/m);
  });
});

describe('llc-vllm-sim queue limit and priority policy', () => {
  it('answers 503 beyond --max-num-queued-reqs', async () => {
    // A manual clock never steps over HTTP: requests stay queued, which is exactly what this test needs.
    const sim = await startSimulator({ profile: 'fast', clock: 'manual', maxNumQueuedReqs: 2 });
    const controllers = [new AbortController(), new AbortController()];
    try {
      const held = await Promise.all(
        controllers.map((c) =>
          fetch(`${sim.url}/chat/completions`, {
            method: 'POST',
            body: JSON.stringify({ messages: USER, stream: true }),
            signal: c.signal,
          }),
        ),
      );
      for (const r of held) assert.equal(r.status, 200);
      assert.equal(sim.engine.waiting.length, 2);
      const third = await fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ messages: USER, stream: true }),
      });
      assert.equal(third.status, 503);
      assert.match(await third.text(), /overloaded/);
      for (const c of controllers) c.abort();
      await eventually(async () => sim.engine.waiting.length === 0, 'aborted requests to leave the queue');
    } finally {
      await sim.close();
    }
  });

  it('accepts priorities under the priority policy', async () => {
    const sim = await startSimulator({ profile: 'fast', schedulingPolicy: 'priority' });
    try {
      const body = {
        model: sim.model,
        messages: USER,
        max_tokens: 5,
        priority: -5,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming;
      const res = await client(sim).chat.completions.create(body);
      assert.equal(res.choices[0]!.finish_reason, 'length');
    } finally {
      await sim.close();
    }
  });

  it('streams reasoning in delta.reasoning for a reasoning model, and none when thinking is off', async () => {
    const sim = await startSimulator({ profile: 'fast', reasoningField: 'reasoning' });
    try {
      const openai = client(sim);
      let reasoning = '';
      let content = '';
      for await (const chunk of await openai.chat.completions.create({
        model: sim.model,
        messages: USER,
        max_tokens: 200,
        stream: true,
      })) {
        const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning?: string } | undefined;
        reasoning += delta?.reasoning ?? '';
        content += delta?.content ?? '';
      }
      assert.ok(reasoning.length > 0 && content.length > 0);
      const off = await openai.chat.completions.create({
        model: sim.model,
        messages: USER,
        max_tokens: 50,
        chat_template_kwargs: { enable_thinking: false },
      } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      assert.equal((off.choices[0]!.message as { reasoning?: string | null }).reasoning, null);
    } finally {
      await sim.close();
    }
  });
});
