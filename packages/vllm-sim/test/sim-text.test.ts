/**
 * The simulator's tokenizer and deterministic markdown generator.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answerText,
  countChatPromptTokens,
  createAnswer,
  prepareChat,
  tokenize,
  topicOf,
  type ServingConfig,
} from '../src/internal.js';

describe('simulator tokenizer', () => {
  const samples = [
    'Hello!',
    'The quick brown fox jumps over the extraordinarily lazy dog.\n\n```ts\n  const x = 42;\n```\n',
    '| a | b |\n| --- | ---: |\n| 1 | 2 |',
    'emoji 😀😀😀!! tabs\tand \r\n CRLF   \n\n\nend',
    'Ünïcödé wörds and 中文字符 mixed with numbers 1234567',
    '',
  ];

  it('is lossless: the pieces concatenate to the input', () => {
    for (const s of samples) assert.equal(tokenize(s).join(''), s);
  });

  it('never splits a surrogate pair and never emits empty pieces', () => {
    for (const s of samples) {
      for (const piece of tokenize(s)) {
        assert.ok(piece.length > 0, 'no empty piece');
        assert.ok(
          !/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(piece),
          `piece ${JSON.stringify(piece)} keeps surrogates together`,
        );
      }
    }
  });

  it('lands near 4 characters per token on prose', () => {
    const prose = answerText(createAnswer({ seed: 3, targetTokens: 2000 })).text;
    const ratio = prose.length / tokenize(prose).length;
    assert.ok(ratio > 2.5 && ratio < 5, `chars per token ${ratio}`);
  });

  it('counts chat prompts with per-message template overhead', () => {
    const one = countChatPromptTokens([{ content: 'Hello there' }]);
    const two = countChatPromptTokens([{ content: 'Hello there' }, { content: 'Hello there' }]);
    assert.ok(two - one === one - countChatPromptTokens([]), 'each message adds the same');
  });
});

describe('simulator text generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = answerText(createAnswer({ seed: 11, topic: ['sockets'] }));
    const b = answerText(createAnswer({ seed: 11, topic: ['sockets'] }));
    const c = answerText(createAnswer({ seed: 12, topic: ['sockets'] }));
    assert.equal(a.text, b.text);
    assert.notEqual(a.text, c.text);
  });

  it('writes markdown-rich answers: headings, lists, table, fenced code, inline code, emphasis, https links', () => {
    const text = answerText(createAnswer({ seed: 5, targetTokens: 800, topic: ['websocket', 'resume'] })).text;
    assert.match(text, /^## /m, 'heading');
    assert.match(text, /^- /m, 'bullet list');
    assert.match(text, /^1\. /m, 'numbered list');
    assert.match(text, /^\| .* \|$/m, 'table row');
    assert.match(text, /^\| --- \|/m, 'table delimiter');
    assert.match(text, /^```(typescript|python|bash|json)$/m, 'fence with a language');
    assert.match(text, /\*\*[^*]+\*\*|\*[^*]+\*/, 'emphasis');
    assert.match(text, /`[^`\n]+`/, 'inline code');
    assert.match(text, /\]\(https:\/\/[^)]+\)/, 'https link');
    assert.doesNotMatch(text, /\]\((?!https:)/, 'links are https only');
    assert.doesNotMatch(text, /<[a-z]/i, 'no raw HTML');
    // Code fences are balanced.
    assert.equal((text.match(/^```/gm) ?? []).length % 2, 0);
  });

  it('ends naturally near its target length, with a balanced fence', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { text, tokens } = answerText(createAnswer({ seed, targetTokens: 100 }));
      assert.ok(tokens >= 100 && tokens < 400, `seed ${seed}: ${tokens} tokens`);
      assert.equal((text.match(/^```/gm) ?? []).length % 2, 0, `seed ${seed}: fences balanced`);
    }
  });

  it('varies natural lengths across seeds, so some answers stop and long ones hit max_tokens', () => {
    const lengths = Array.from({ length: 40 }, (_, seed) => answerText(createAnswer({ seed })).tokens);
    assert.ok(Math.min(...lengths) < 200, `some short answers (${Math.min(...lengths)})`);
    assert.ok(Math.max(...lengths) > 500, `some long answers (${Math.max(...lengths)})`);
  });

  it('starts with a reasoning phase when asked', () => {
    const source = createAnswer({ seed: 1, reasoning: true, topic: ['latency'] });
    const first = source.next();
    assert.equal(first?.reasoning, true);
    const all = answerText(createAnswer({ seed: 1, reasoning: true, topic: ['latency'] }));
    assert.match(all.reasoning, /latency/);
    assert.ok(all.text.startsWith('## '), 'content follows the reasoning');
  });

  it('takes the topic from the prompt', () => {
    assert.deepEqual(topicOf('Tell me about websocket reconnection please'), ['reconnection', 'websocket']);
    const config: ServingConfig = { model: 'm', maxModelLen: 4096, policy: 'fcfs' };
    const prepared = prepareChat(
      { messages: [{ role: 'user', content: 'Explain kubernetes autoscaling' }], seed: 1 },
      config,
    );
    assert.match(answerText(prepared.source).text, /autoscaling|kubernetes/i);
  });
});
