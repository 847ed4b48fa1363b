/**
 * Content parts as vLLM's OpenAI-compatible server takes them, sent by the official `openai` client: text and
 * `image_url` parts (URL or data: URL) are accepted and the answer says which images arrived; other part types
 * and bad image URLs get vLLM's 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { startSimulator, type RunningSimulator } from '../src/index.js';

describe('vllm-sim: content parts', () => {
  let sim: RunningSimulator;
  let client: OpenAI;
  before(async () => {
    sim = await startSimulator({ profile: 'fast' });
    client = new OpenAI({ baseURL: sim.url, apiKey: 'x' });
  });
  after(() => sim.close());

  it('accepts text and image_url parts and names the images at the start of its answer', async () => {
    const stream = await client.chat.completions.create({
      model: sim.model,
      stream: true,
      max_tokens: 60,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these pictures?' },
            { type: 'image_url', image_url: { url: 'https://files.example.com/cat.png' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.ok(
      text.startsWith('I received 2 images: `https://files.example.com/cat.png`, `image/png data URL, about 8 bytes`.'),
      text.slice(0, 120),
    );
    const plain = await client.chat.completions.create({
      model: sim.model,
      max_tokens: 20,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'no pictures' }] }],
    });
    assert.ok(!(plain.choices[0]?.message.content ?? '').includes('I received'));
  });

  it('refuses other part types and bad image URLs with a 400', async () => {
    const bad = [
      { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
      { type: 'image_url', image_url: { url: 'javascript:alert(1)' } },
      { type: 'image_url', image_url: {} },
    ];
    for (const part of bad) {
      await assert.rejects(
        client.chat.completions.create({
          model: sim.model,
          max_tokens: 5,
          // A deliberately invalid part, as a careless client could send it.
          messages: [{ role: 'user', content: [part] as unknown as OpenAI.ChatCompletionContentPart[] }],
        }),
        (error: unknown) => error instanceof APIError && error.status === 400,
      );
    }
  });
});
