/**
 * A message of tool results must answer the calls of the answer it follows (issue 12): a `toolCallId` the
 * previous answer did not make, or one answered twice, is refused with `unknown-tool-call` — nothing stored,
 * nothing submitted to the bridge — against the real embedded stack over a real socket. Results for the real
 * call are accepted and answered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationRequest } from '@locallightchat/broker';
import { newId, toolResultsProblem, type ChatMessage } from '@locallightchat/protocol';
import { MemoryStore } from '@locallightchat/relay';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const call = { id: 'chatcmpl-tool-1', name: 'get_weather', arguments: '{"city": "lisbon"}' };
const store = new MemoryStore();
const submitted: GenerationRequest[] = [];
let stack: TestStack;

before(async () => {
  stack = await startTestStack({ store });
  // Watch what reaches the broker's work queue (the bridge's input), then pass it on unchanged.
  const broker = stack.stack.broker;
  const submit = broker.submit.bind(broker);
  broker.submit = (request) => {
    submitted.push(request);
    return submit(request);
  };
});
after(async () => stack.close());

/** A conversation of `user` whose last answer called get_weather (as a tool-calling model's answer is stored). */
async function conversationWithToolCall(user: string): Promise<string> {
  const conversationId = newId('c_');
  await store.claimConversation(conversationId, user);
  const messages: ChatMessage[] = [
    { id: newId('m'), role: 'user', text: 'use get_weather for Lisbon', createdAt: Date.now() },
    {
      id: newId('a'),
      role: 'assistant',
      text: '',
      createdAt: Date.now(),
      finishReason: 'tool_calls',
      toolCalls: [call],
    },
  ];
  for (const message of messages) await store.appendMessage(conversationId, message);
  return conversationId;
}

describe('tool results are checked against the previous answer', () => {
  it('refuses a toolCallId the previous answer did not make: typed error, nothing stored, nothing submitted', async () => {
    const user = newId('u');
    const conversationId = await conversationWithToolCall(user);
    const client = await ProtocolClient.connect(stack.wsUrl, await stack.token(user));
    const before = submitted.length;
    const clientMessageId = newId('cm_');
    client.send({
      type: 'send',
      clientMessageId,
      conversationId,
      text: '',
      toolResults: [{ toolCallId: 'chatcmpl-tool-forged', content: '{"temp_c": 99}' }],
    });
    const error = await client.next('error');
    assert.equal(error.code, 'unknown-tool-call');
    assert.equal(error.ref, clientMessageId);
    assert.match(error.message, /chatcmpl-tool-forged.*not a tool call of the previous answer/);

    // The same results twice for the real call: refused too.
    const from = client.frames.length;
    client.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: '',
      toolResults: [
        { toolCallId: call.id, content: '{"temp_c": 21}' },
        { toolCallId: call.id, content: '{"temp_c": 22}' },
      ],
    });
    assert.equal((await client.next('error', from)).code, 'unknown-tool-call');

    // Frames are answered in order: once the pong is here, nothing else is coming for the refused sends.
    client.send({ type: 'ping', ts: 1 });
    await client.next('pong');
    assert.equal(client.frames.filter((f) => f.type === 'ack' || f.type === 'stream-start').length, 0);
    assert.equal(submitted.length, before, 'nothing submitted to the bridge');
    const page = await store.listMessages(conversationId, { limit: 10 });
    assert.deepEqual(
      page.messages.map((m) => m.role),
      ['user', 'assistant'],
      'nothing stored',
    );
    await client.close();
  });

  it('accepts the results of the real call and the model answers', async () => {
    const user = newId('u');
    const conversationId = await conversationWithToolCall(user);
    const client = await ProtocolClient.connect(stack.wsUrl, await stack.token(user));
    const before = submitted.length;
    client.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: '',
      toolResults: [{ toolCallId: call.id, content: '{"temp_c": 21}' }],
    });
    const ack = await client.next('ack');
    await client.streamText(ack.streamId);
    assert.equal(submitted.length, before + 1);
    assert.deepEqual(submitted.at(-1)!.messages.at(-1), {
      role: 'tool',
      content: '',
      toolResults: [{ toolCallId: call.id, content: '{"temp_c": 21}' }],
    });
    await client.close();
  });

  it('the rule: results need an answer with calls, each call once', () => {
    const user: ChatMessage = { id: 'm1', role: 'user', text: 'hi', createdAt: 1 };
    const answer: ChatMessage = { id: 'a1', role: 'assistant', text: '', createdAt: 2, toolCalls: [call] };
    const result = { toolCallId: call.id, content: 'ok' };
    assert.equal(toolResultsProblem([user, answer], [result]), undefined);
    assert.equal(toolResultsProblem([user], []), undefined);
    assert.match(toolResultsProblem([user], [result])!, /made no tool calls/);
    // An older answer's call does not count once a newer answer (without calls) followed it.
    const later: ChatMessage = { id: 'a2', role: 'assistant', text: 'done', createdAt: 4 };
    assert.match(toolResultsProblem([user, answer, { ...user, id: 'm2' }, later], [result])!, /made no tool calls/);
    assert.match(toolResultsProblem([user, answer], [result, result])!, /two results/);
  });
});
