/**
 * The simulator as a tool-calling model (`--tool-call-parser hermes` shape): it calls the tools a request offers
 * when the last user message names them (`tool_choice: "auto"`), or when told to (`"required"`, a named
 * function); the official `openai` client, our `OpenAIBackend` and the in-process `SimulatorBackend` all read the
 * same calls; a text answer when no tool is named; vLLM's 400 for a named tool that was not offered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { APIError } from 'openai';
import {
  OpenAIBackend,
  ToolCallAssembler,
  type InferenceBackend,
  type ToolDefinition,
} from '@locallightchat/inference-bridge';
import { startSimulator, type RunningSimulator } from '../src/index.js';
import { SimulatorBackend } from '../src/backend/index.js';

const tools: ToolDefinition[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: {
        type: 'object',
        properties: {
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
          city: { type: 'string' },
          days: { type: 'integer' },
        },
        required: ['city'],
      },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];

let sim: RunningSimulator;
before(async () => {
  sim = await startSimulator({ profile: 'fast' });
});
after(() => sim.close());

async function viaBackend(backend: InferenceBackend, content: string) {
  const assembler = new ToolCallAssembler();
  let text = '';
  let finish = '';
  for await (const e of backend.stream(
    { requestId: `r${Math.random()}`.replace('.', ''), messages: [{ role: 'user', content }], maxTokens: 200, tools },
    new AbortController().signal,
  )) {
    if (e.type === 'delta') {
      text += e.text;
      if (e.toolCalls) assembler.add(e.toolCalls);
    } else finish = e.finishReason;
  }
  return { calls: assembler.calls(), text, finish };
}

describe('simulator tool calls', () => {
  it('calls the tool the message names; the openai client, OpenAIBackend and SimulatorBackend read the same calls', async () => {
    const content = 'What is the get_weather for Lisbon?';
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'x' });
    const final = await client.chat.completions
      .stream({ model: sim.model, messages: [{ role: 'user', content }], tools, tool_choice: 'auto' })
      .finalChatCompletion();
    const choice = final.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    const theirs = (choice.message.tool_calls ?? []).map((c) => {
      assert.equal(c.type, 'function');
      return { id: c.id, name: c.function.name, arguments: c.function.arguments };
    });
    assert.equal(theirs.length, 1);
    assert.match(theirs[0]!.id, /^chatcmpl-tool-[0-9a-f]{32}$/);
    assert.equal(theirs[0]!.name, 'get_weather');
    // Required first, python json.dumps spacing, enum → first value, string → a topic word, integer 1–100.
    assert.match(theirs[0]!.arguments, /^\{"city": "[a-z_-]+", "unit": "celsius", "days": \d+\}$/);

    const ours = await viaBackend(new OpenAIBackend({ baseURL: sim.url }), content);
    assert.equal(ours.finish, 'tool_calls');
    assert.deepEqual(
      ours.calls.map(({ name, arguments: a }) => ({ name, arguments: a })),
      theirs.map(({ name, arguments: a }) => ({ name, arguments: a })),
    );
    const inProcess = new SimulatorBackend({ profile: 'fast' });
    try {
      const local = await viaBackend(inProcess, content);
      assert.equal(local.finish, 'tool_calls');
      assert.deepEqual(
        local.calls.map(({ name, arguments: a }) => ({ name, arguments: a })),
        theirs.map(({ name, arguments: a }) => ({ name, arguments: a })),
      );
      assert.match(local.calls[0]!.id, /^chatcmpl-tool-[0-9a-f]{32}$/);
    } finally {
      inProcess.close();
    }
  });

  it('several calls in one turn, arguments in several fragments; a text answer when no tool is named', async () => {
    const response = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'Use get weather and get_time for porto' }],
        tools,
        stream: true,
      }),
    });
    const chunks = (await response.text())
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { choices: { delta: { tool_calls?: { index: number }[] } }[] });
    const entries = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []) as {
      index: number;
      id?: string;
      type?: string;
      function: { name?: string; arguments?: string };
    }[];
    assert.deepEqual([...new Set(entries.map((e) => e.index))], [0, 1]);
    // Each call: a start entry (id, type, name, no arguments), then its arguments in one or more fragments
    // (how many depends on how many engine steps one write coalesced).
    for (const index of [0, 1]) {
      const [start, ...fragments] = entries.filter((e) => e.index === index);
      assert.deepEqual(Object.keys(start!), ['index', 'type', 'id', 'function']);
      assert.deepEqual(Object.keys(start!.function), ['name']);
      assert.ok(fragments.length >= 1);
      JSON.parse(fragments.map((f) => f.function.arguments).join(''));
    }
    const last = chunks.filter((c) => c.choices.length > 0).at(-1) as unknown as {
      choices: { finish_reason: string }[];
    };
    assert.equal(last.choices[0]!.finish_reason, 'tool_calls');

    const plain = await viaBackend(new OpenAIBackend({ baseURL: sim.url }), 'Tell me about ports');
    assert.deepEqual(plain.calls, []);
    assert.ok(plain.text.length > 20);
    assert.ok(plain.finish === 'stop' || plain.finish === 'length');
  });

  it("tool_choice required, a named function, and vLLM's 400 for a tool that was not offered", async () => {
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
    const required = await client.chat.completions.create({
      model: sim.model,
      messages: [{ role: 'user', content: 'hello' }],
      tools,
      tool_choice: 'required',
    });
    assert.equal(required.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(
      required.choices[0]!.message.tool_calls?.[0]?.type === 'function' &&
        required.choices[0]!.message.tool_calls[0].function.name,
      'get_weather',
    );
    const named = await client.chat.completions.create({
      model: sim.model,
      messages: [{ role: 'user', content: 'hello' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const call = named.choices[0]!.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.deepEqual([call.function.name, call.function.arguments], ['get_time', '{}']);
    await assert.rejects(
      client.chat.completions.create({
        model: sim.model,
        messages: [{ role: 'user', content: 'hello' }],
        tools,
        tool_choice: { type: 'function', function: { name: 'delete_all' } },
      }),
      (error: unknown) => error instanceof APIError && error.status === 400,
    );
  });
});
