/**
 * Streamed tool calls: our bridge's OpenAI backend and the official `openai` npm client read the same vLLM
 * tool-call stream (fixtures/vllm-tool-calls.sse, served over a real socket, events split across writes) and
 * must agree on every call (id, name, arguments), on the text before the calls and on the finish reason. The
 * request our backend sends carries `tools` and `tool_choice`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { InferenceEvent, ToolDefinition } from '../src/backend.js';
import { OpenAIBackend } from '../src/backends/index.js';
import { chatCompletionBody } from '../src/backends/openai-wire.js';
import { ToolCallAssembler, readToolCallDeltas } from '../src/backends/openai-tool-calls.js';
import { RoundRobinRouter } from '../src/router.js';
import { applyToolCallParts, storedToolCalls, type ToolCallPart, type ToolCallState } from '@locallightchat/protocol';
import { BridgeHarness } from './support/bridge-harness.js';

const fixture = readFileSync(new URL('./fixtures/vllm-tool-calls.sse', import.meta.url), 'utf8');
const tools: ToolDefinition[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
        required: ['city'],
      },
    },
  },
];

let server: Server;
let baseURL: string;
const bodies: Record<string, unknown>[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      // One write per event, each cut in two (a reader must join pieces of an event across reads).
      const events = fixture.split(/(?<=\n\n)/);
      let i = 0;
      const next = () => {
        const event = events[i++];
        if (event === undefined) return void res.end();
        const cut = Math.floor(event.length / 2);
        res.write(event.slice(0, cut));
        setTimeout(() => {
          res.write(event.slice(cut));
          setTimeout(next, 2);
        }, 2);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('streamed tool calls (vLLM fixture)', () => {
  it('our backend and the official openai client agree on the calls, the text and the finish reason', async () => {
    const backend = new OpenAIBackend({ baseURL, defaultModel: 'Qwen/Qwen2.5-7B-Instruct' });
    const assembler = new ToolCallAssembler();
    let text = '';
    let end: Extract<InferenceEvent, { type: 'end' }> | undefined;
    for await (const event of backend.stream(
      {
        requestId: 'tools-1',
        messages: [{ role: 'user', content: 'Weather in Paris and Tokyo?' }],
        maxTokens: 256,
        tools,
        toolChoice: 'auto',
      },
      new AbortController().signal,
    )) {
      if (event.type === 'delta') {
        text += event.text;
        if (event.toolCalls) assembler.add(event.toolCalls);
      } else end = event;
    }
    const ours = assembler.calls();

    const client = new OpenAI({ baseURL, apiKey: 'x' });
    const stream = client.chat.completions.stream({
      model: 'Qwen/Qwen2.5-7B-Instruct',
      messages: [{ role: 'user', content: 'Weather in Paris and Tokyo?' }],
      tools,
      tool_choice: 'auto',
    });
    const final = await stream.finalChatCompletion();
    const theirs = final.choices[0]!.message.tool_calls ?? [];

    assert.equal(ours.length, 2, 'two calls in one turn');
    assert.deepEqual(
      ours.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
      theirs.map((c) => {
        assert.equal(c.type, 'function');
        return { id: c.id, name: c.function.name, arguments: c.function.arguments };
      }),
    );
    // Exactly what the fixture streamed, parsed as JSON objects (not just equal strings on both sides).
    assert.deepEqual(
      ours.map((c) => JSON.parse(c.arguments) as unknown),
      [
        { city: 'Paris', unit: 'celsius' },
        { city: 'Tokyo', unit: 'celsius' },
      ],
    );
    assert.match(ours[0]!.id, /^chatcmpl-tool-[0-9a-f]{32}$/);
    assert.equal(text, final.choices[0]!.message.content);
    assert.equal(text, "I'll check both cities.\n");
    assert.equal(end?.finishReason, 'tool_calls');
    assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(end?.usage, { promptTokens: 312, completionTokens: 59 });

    // Our request carried the tools to vLLM.
    assert.deepEqual(bodies[0]!.tools, tools);
    assert.equal(bodies[0]!.tool_choice, 'auto');
  });

  it('the bridge streams the calls as token-frame parts, ends each call, and sends the tools its hook offers', async () => {
    const harness = new BridgeHarness(
      new RoundRobinRouter([new OpenAIBackend({ baseURL, defaultModel: 'Qwen/Qwen2.5-7B-Instruct' })]),
      { tools: (request) => (request.conversationId.startsWith('conv-') ? { tools, toolChoice: 'auto' } : undefined) },
    );
    try {
      const answer = await harness.submit();
      const end = await answer.ended;
      assert.equal(end.finishReason, 'tool_calls');
      const parts: ToolCallPart[] = answer.events.flatMap((e) => (e.type === 'token' ? (e.tools ?? []) : []));
      const calls: ToolCallState[] = applyToolCallParts([], parts);
      assert.deepEqual(storedToolCalls(calls), [
        {
          id: 'chatcmpl-tool-4f0e9a1c2b3d4e5f8a7b6c5d4e3f2a1b',
          name: 'get_weather',
          arguments: '{"city": "Paris", "unit": "celsius"}',
        },
        {
          id: 'chatcmpl-tool-9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49',
          name: 'get_weather',
          arguments: '{"city": "Tokyo", "unit": "celsius"}',
        },
      ]);
      assert.ok(calls.every((c) => c.complete));
      // The end parts come last, once every fragment is out.
      assert.deepEqual(parts.slice(-2), [
        { index: 0, end: true },
        { index: 1, end: true },
      ]);
      assert.equal(answer.text, "I'll check both cities.\n");
      assert.deepEqual(bodies.at(-1)!.tools, tools);
      assert.equal(bodies.at(-1)!.tool_choice, 'auto');
    } finally {
      await harness.close();
    }
  });

  it("sends an answer's calls and their results in OpenAI's shape (assistant tool_calls, one tool message each)", () => {
    const call = { id: 'chatcmpl-tool-1', name: 'get_weather', arguments: '{"city": "lisbon"}' };
    const body = chatCompletionBody(
      {
        requestId: 'r',
        maxTokens: 10,
        messages: [
          { role: 'user', content: 'use get_weather for Lisbon' },
          { role: 'assistant', content: '', toolCalls: [call] },
          { role: 'tool', content: '', toolResults: [{ toolCallId: 'chatcmpl-tool-1', content: '{"temp_c": 21}' }] },
        ],
      },
      'm',
    );
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'use get_weather for Lisbon' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'chatcmpl-tool-1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city": "lisbon"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'chatcmpl-tool-1', content: '{"temp_c": 21}' },
    ]);
  });

  it('refuses malformed tool_calls entries with a reason', () => {
    assert.deepEqual(readToolCallDeltas(undefined), []);
    assert.deepEqual(readToolCallDeltas([]), []);
    for (const bad of [{}, [{ index: -1 }], [{ index: 0, id: 5 }], [{ index: 0, function: { arguments: {} } }], [1]])
      assert.ok('malformed' in (readToolCallDeltas(bad) as object), JSON.stringify(bad));
  });

  it('joins a fragment that arrives before its call start, and names a call that never got an id', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 1, arguments: '{"x"' }]);
    a.add([
      { index: 1, id: 'call_b', name: 'f' },
      { index: 0, name: 'g' },
    ]);
    a.add([{ index: 1, arguments: ': 1}' }]);
    assert.deepEqual(a.calls(), [
      { index: 0, id: 'call_0', name: 'g', arguments: '' },
      { index: 1, id: 'call_b', name: 'f', arguments: '{"x": 1}' },
    ]);
  });
});
