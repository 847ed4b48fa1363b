/**
 * Tool results back into the conversation: the prompt built for a `tool` message carries the answer's calls and
 * the results (one per call), in order, so the model continues; a tool turn whose calls fell out of the history
 * window is dropped rather than sent without them. (The bridge's openai-tool-calls test checks the body vLLM gets.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessage, SendFrame } from '@locallightchat/protocol';
import { generationRequest, idsForSend, type PromptConfig } from '@locallightchat/relay/internal';

const config: PromptConfig = {
  maxPromptChars: 10_000,
  defaultMaxTokens: 256,
  maxMaxTokens: 1024,
};
const call = { id: 'chatcmpl-tool-1', name: 'get_weather', arguments: '{"city": "lisbon"}' };
const history: ChatMessage[] = [
  { id: 'm1', role: 'user', text: 'use get_weather for Lisbon', createdAt: 1 },
  { id: 'a1', role: 'assistant', text: '', createdAt: 2, finishReason: 'tool_calls', toolCalls: [call] },
];
const frame: SendFrame = {
  type: 'send',
  clientMessageId: 'tr_s1',
  conversationId: 'c1',
  text: '',
  toolResults: [{ toolCallId: 'chatcmpl-tool-1', content: '{"temp_c": 21}' }],
};

describe('tool results in the prompt', () => {
  it('carries the calls and the results', () => {
    const ids = idsForSend('u1', frame.clientMessageId);
    const stored: ChatMessage = {
      id: ids.messageId,
      role: 'tool',
      text: '',
      createdAt: 3,
      toolResults: frame.toolResults!,
    };
    const request = generationRequest(config, [...history, stored], frame, ids, 'u1');
    assert.deepEqual(request.messages, [
      { role: 'user', content: 'use get_weather for Lisbon' },
      { role: 'assistant', content: '', toolCalls: [call] },
      { role: 'tool', content: '', toolResults: frame.toolResults },
    ]);
  });

  it('adds the results from the frame when the stored message is not in the page, and drops an orphan tool turn', () => {
    const ids = idsForSend('u1', frame.clientMessageId);
    const request = generationRequest(config, history, frame, ids, 'u1');
    assert.deepEqual(request.messages.at(-1), { role: 'tool', content: '', toolResults: frame.toolResults });
    const orphan = generationRequest(
      config,
      [{ id: 't0', role: 'tool', text: '', createdAt: 0, toolResults: frame.toolResults! }, ...history.slice(0, 1)],
      { ...frame, toolResults: undefined, text: 'next', clientMessageId: 'cm2' },
      idsForSend('u1', 'cm2'),
      'u1',
    );
    assert.deepEqual(
      orphan.messages.map((m) => m.role),
      ['user', 'user'],
    );
  });
});
