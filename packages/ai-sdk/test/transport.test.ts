/**
 * LlcChatTransport against a real embedded relay (vLLM simulator → bridge → relay, real WebSocket), read with
 * the real `ai` package's `readUIMessageStream`: an answer arrives as the AI SDK's chunks and equals what the
 * client holds; a second client (a reload) resumes an answer mid-stream by replay; nothing live gives null;
 * regenerate makes a new branch of the relay's conversation; abort stops the answer on the relay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LlcClient } from '@locallightchat/client';
import { LlcChatTransport } from '@locallightchat/ai-sdk';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { WebSocket as NodeWebSocket } from 'ws';

// Node 20 has no WebSocket global; `ws` implements the same interface the client's transport uses.
globalThis.WebSocket ??= NodeWebSocket as unknown as typeof globalThis.WebSocket;

let stack: TestStack;
const clients: LlcClient[] = [];

before(async () => {
  // A reasoning model at a real GPU's pace (answers take seconds), so a reload can land mid-answer.
  stack = await startTestStack({ profile: '8b-h100', reasoningField: 'reasoning' });
});

after(async () => {
  for (const c of clients) c.close();
  await stack?.close();
});

function transport(user = 'u_ai'): LlcChatTransport {
  const client = new LlcClient({
    url: stack.wsUrl,
    getToken: () => stack.token(user),
    connection: 'direct',
    storage: false,
  });
  clients.push(client);
  return new LlcChatTransport({ client });
}

const userMessage = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });

/** Reads a chunk stream to its end, keeping the chunks and the message the AI SDK builds from them. */
async function read(stream: ReadableStream<UIMessageChunk>) {
  const chunks: UIMessageChunk[] = [];
  const tee = stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        chunks.push(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  let message: UIMessage | undefined;
  for await (const m of readUIMessageStream({ stream: tee, terminateOnError: true })) message = m;
  return { chunks, message: message! };
}

const partText = (m: UIMessage, type: 'text' | 'reasoning') =>
  m.parts.flatMap((p) => (p.type === type ? [p.text] : [])).join('');

/** Resolves once `test` holds for the conversation's snapshot. */
function until(client: LlcClient, chatId: string, test: () => boolean, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    const check = () => {
      if (!test()) return;
      clearTimeout(timer);
      client.removeEventListener('conversation', check);
      resolve();
    };
    client.addEventListener('conversation', check);
    check();
  });
}

describe('LlcChatTransport over a real relay', () => {
  it('streams an answer as UI message chunks equal to what the client holds', async () => {
    const t = transport();
    const chatId = 'aisdk_stream';
    const stream = await t.sendMessages({
      chatId,
      trigger: 'submit-message',
      messageId: undefined,
      messages: [userMessage('ui1', 'Explain streaming in a few paragraphs.')],
      abortSignal: undefined,
    });
    const { chunks, message } = await read(stream);
    const answer = t.client.snapshot(chatId).messages.find((m) => m.role === 'assistant')!;
    assert.equal(answer.status, 'done');
    assert.equal(message.id, answer.key, 'the UI message id is the answer’s key');
    assert.ok(answer.text.length > 50, 'a real answer');
    assert.equal(partText(message, 'text'), answer.text);
    assert.ok(answer.reasoning.length > 0, 'the simulated reasoning model thought first');
    assert.equal(partText(message, 'reasoning'), answer.reasoning);
    const types = [...new Set(chunks.map((c) => c.type))];
    assert.deepEqual(types, [
      'start',
      'reasoning-start',
      'reasoning-delta',
      'reasoning-end',
      'text-start',
      'text-delta',
      'text-end',
      'finish',
    ]);
    assert.deepEqual(chunks.at(-1), {
      type: 'finish',
      finishReason: answer.finishReason === 'length' ? 'length' : 'stop',
    });
    assert.ok(chunks.filter((c) => c.type === 'text-delta').length > 1, 'the text streamed in several deltas');
    const history = await t.loadMessages(chatId);
    assert.deepEqual(
      history.map((m) => [m.role, partText(m, 'text')]),
      [
        ['user', 'Explain streaming in a few paragraphs.'],
        ['assistant', answer.text],
      ],
    );
  });

  it('resumes an answer mid-stream from another client (a reload), replayed from its start', async () => {
    const first = transport('u_resume');
    const chatId = 'aisdk_resume';
    const original = await first.sendMessages({
      chatId,
      trigger: 'submit-message',
      messageId: undefined,
      messages: [userMessage('ui1', 'Write a long essay about rivers.')],
      abortSignal: undefined,
    });
    const reader = original.getReader();
    // Wait for some text, then "reload": a new client and transport for the same user and chat.
    await until(first.client, chatId, () =>
      first.client.snapshot(chatId).messages.some((m) => m.role === 'assistant' && m.text.length > 20),
    );
    await reader.cancel();
    const second = transport('u_resume');
    const resumed = await second.reconnectToStream({ chatId });
    assert.ok(resumed, 'a live answer to resume');
    const { chunks, message } = await read(resumed);
    const done = second.client.snapshot(chatId).messages.find((m) => m.role === 'assistant')!;
    assert.equal(done.status, 'done');
    assert.equal(partText(message, 'text'), done.text, 'the whole answer, from its first token');
    assert.equal(chunks[0]?.type, 'start');
    await until(first.client, chatId, () =>
      first.client.snapshot(chatId).messages.some((m) => m.status === 'done' && m.role === 'assistant'),
    );
    const firstCopy = first.client.snapshot(chatId).messages.find((m) => m.role === 'assistant')!;
    assert.equal(done.text, firstCopy.text, 'both clients hold the same answer');
    assert.equal(await second.reconnectToStream({ chatId }), null, 'nothing live any more');
  });

  it('regenerates an answer: a new branch of the relay’s conversation from that turn, shown from then on', async () => {
    const t = transport('u_regen');
    const chatId = 'aisdk_regen';
    const question = userMessage('ui1', 'Name a color.');
    const first = await read(
      await t.sendMessages({
        chatId,
        trigger: 'submit-message',
        messageId: undefined,
        messages: [question],
        abortSignal: undefined,
      }),
    );
    const second = await read(
      await t.sendMessages({
        chatId,
        trigger: 'regenerate-message',
        messageId: first.message.id,
        messages: [question],
        abortSignal: undefined,
      }),
    );
    assert.notEqual(second.message.id, first.message.id, 'a new answer');
    const fresh = transport('u_regen');
    const history = await fresh.loadMessages(chatId);
    assert.deepEqual(
      history.map((m) => m.role),
      ['user', 'assistant'],
      'the relay shows one turn: the new version (the old one is another branch)',
    );
    assert.equal(history[1]!.id, second.message.id);
    assert.equal(fresh.client.snapshot(chatId).messages[0]!.siblings?.length, 2, 'the old version is kept');
  });

  it('abort stops the answer on the relay', async () => {
    const t = transport('u_abort');
    const chatId = 'aisdk_abort';
    const controller = new AbortController();
    const stream = await t.sendMessages({
      chatId,
      trigger: 'submit-message',
      messageId: undefined,
      messages: [userMessage('ui1', 'Write a very long story.')],
      abortSignal: controller.signal,
    });
    const reading = read(stream);
    await until(t.client, chatId, () =>
      t.client.snapshot(chatId).messages.some((m) => m.role === 'assistant' && m.text.length > 0),
    );
    controller.abort();
    await reading;
    await until(t.client, chatId, () =>
      t.client.snapshot(chatId).messages.some((m) => m.role === 'assistant' && m.status === 'stopped'),
    );
  });

  it('refuses a chat id that is not a conversation id, with a clear error', async () => {
    const t = transport();
    await assert.rejects(
      t.sendMessages({
        chatId: 'has spaces',
        trigger: 'submit-message',
        messageId: undefined,
        messages: [userMessage('x', 'hi')],
        abortSignal: undefined,
      }),
      /is not a conversation id/,
    );
  });
});
