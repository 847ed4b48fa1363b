/**
 * ChunkReader, the fast reader of a stream's plain content chunks: whatever it is given, it must read exactly what
 * `readChunk` (a full JSON.parse) reads; and on vLLM's layout it must skip the parse for plain content.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { ChunkReader, readChunk } from '../src/backends/openai-chunks.js';

const HEAD =
  '{"id":"chatcmpl-1a2b","object":"chat.completion.chunk","created":1764762300,"model":"Qwen/Qwen2.5-7B-Instruct",';
const content = (text: string, head = HEAD): string =>
  `${head}"choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]}`;

/** Reads every payload with a fresh ChunkReader and with readChunk, and asserts they agree payload by payload. */
function assertSameReadings(payloads: string[]): void {
  const reader = new ChunkReader();
  for (const payload of payloads) assert.deepEqual(reader.read(payload), readChunk(payload), payload);
}

/** Counts JSON.parse calls while `run` runs. */
const realParse = JSON.parse;
function countParses(run: () => void): number {
  let calls = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown): unknown => {
    calls += 1;
    return realParse(text, reviver) as unknown;
  }) as typeof JSON.parse;
  try {
    run();
  } finally {
    JSON.parse = realParse;
  }
  return calls;
}
afterEach(() => {
  JSON.parse = realParse;
});

describe('ChunkReader', () => {
  it('reads a recorded vLLM tool-call stream as readChunk does', () => {
    const fixture = readFileSync(new URL('./fixtures/vllm-tool-calls.sse', import.meta.url), 'utf8');
    const payloads = fixture
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length));
    assert.ok(payloads.length > 5);
    assertSameReadings(payloads);
  });

  it('skips the parse for plain content once the head is learned, and decodes escapes', () => {
    const reader = new ChunkReader();
    const role = `${HEAD}"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`;
    assert.deepEqual(reader.read(role), readChunk(role));
    assert.deepEqual(reader.read(content('Hello')), readChunk(content('Hello')));
    const plain = [' world', ', and', ' more', ' é 😀 \u2028'];
    assert.equal(
      countParses(() => {
        for (const text of plain)
          assert.deepEqual(reader.read(content(text)), { kind: 'chunk', text, reasoning: '', toolCalls: [] });
      }),
      0,
    );
    // An escaped string is decoded by parsing the string alone, never the chunk.
    const escaped = 'line\nnext "quoted" \\ back\tslash \u0001';
    const expected = readChunk(content(escaped));
    let got: unknown;
    assert.equal(
      countParses(() => (got = reader.read(content(escaped)))),
      1,
    );
    assert.deepEqual(got, expected);
    assert.deepEqual(reader.read(content('')), readChunk(content('')));
  });

  it('parses whole every chunk that is not plain content: reasoning, tools, finish, usage, errors, [DONE]', () => {
    assertSameReadings([
      content('first'),
      `${HEAD}"choices":[{"index":0,"delta":{"reasoning":"think"},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":"a","tool_calls":[]},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":"end"},"logprobs":null,"finish_reason":"length"}]}`,
      `${HEAD}"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":"x"},"logprobs":null,"finish_reason":"bogus"}]}`,
      '{"error":{"message":"overloaded","type":"ServiceUnavailable","code":503}}',
      content('after'),
      '[DONE]',
    ]);
  });

  it('reads a hostile answer as a full parse does: strings that close early, duplicate keys, bad escapes', () => {
    assertSameReadings([
      content('learn the head'),
      // The "string" ends early and a second `choices` follows; JSON's last duplicate key wins.
      `${HEAD}"choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":"length"}],"choices":[{"index":0,"delta":{"content":"b"},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":"bad \\x escape"},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":"unterminated \\"},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":""x""},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":"raw\nnewline"},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":17},"logprobs":null,"finish_reason":null}]}`,
      `${HEAD}"choices":[{"index":0,"delta":{"content":"a","content":"b"},"logprobs":null,"finish_reason":null}]}`,
      content('still fine'),
    ]);
  });

  it('does not learn a head that carries more than identity fields, or that is not JSON', () => {
    const usageHead = '{"id":"c","usage":{"prompt_tokens":1,"completion_tokens":1},"model":"m",';
    const reader = new ChunkReader();
    reader.read(content('one', usageHead));
    // A head with a field readChunk reads is never skipped: every chunk is parsed whole.
    const expected = readChunk(content('two', usageHead));
    let got: unknown;
    assert.equal(
      countParses(() => (got = reader.read(content('two', usageHead)))),
      1,
    );
    assert.deepEqual(got, expected);
    assertSameReadings([content('a', '{"id":"c",,'), content('b', '{"id":"c",,')]);
    // The first content chunk of another layout (keys in another order) teaches nothing: parsed whole throughout.
    const other = (text: string): string =>
      `{"choices":[{"delta":{"content":${JSON.stringify(text)}},"index":0,"finish_reason":null}],"id":"x","model":"m"}`;
    assertSameReadings([other('p'), other('q'), other('r')]);
  });

  it('agrees with readChunk on random content of every character class', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ['a', ' ', '"', '\\', '\n', '\u0000', '\u001f', 'é', '😀', '\ud800', '/', '}', ']', ',', '\u2028'];
    const payloads = [content('seed the head')];
    for (let i = 0; i < 2000; i += 1) {
      let text = '';
      const length = Math.floor(random() * 12);
      for (let j = 0; j < length; j += 1) text += alphabet[Math.floor(random() * alphabet.length)];
      payloads.push(content(text));
    }
    assertSameReadings(payloads);
  });
});
