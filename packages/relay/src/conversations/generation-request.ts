/**
 * The generation request for a user message: an optional system prompt, then the conversation's recent
 * history (oldest dropped first to fit the character budget), with the model settings the relay allows.
 */
import type { GenerationRequest, PromptMessage } from '@locallightchat/broker';
import type { ChatMessage, SendFrame } from '@locallightchat/protocol';
import type { RelayConfig } from '../config.js';
import type { MessageIds } from './ids.js';

/** The settings a prompt is built with. */
export type PromptConfig = Pick<
  RelayConfig,
  'maxPromptChars' | 'systemPrompt' | 'defaultMaxTokens' | 'maxMaxTokens' | 'defaultModel'
>;

/** A stored message as the model reads it: tool calls of an answer and the results of a tool turn included. */
function promptMessage(m: ChatMessage): PromptMessage {
  const out: PromptMessage = { role: m.role, content: m.text };
  if (m.toolCalls?.length) out.toolCalls = m.toolCalls;
  if (m.toolResults?.length) out.toolResults = m.toolResults;
  if (m.attachments?.length) out.attachments = m.attachments;
  return out;
}

/** Characters a message adds to the prompt. */
function promptSize(m: ChatMessage): number {
  let size = m.text.length;
  for (const c of m.toolCalls ?? []) size += c.name.length + c.arguments.length;
  for (const r of m.toolResults ?? []) size += r.content.length;
  for (const a of m.attachments ?? []) size += a.name.length + a.url.length;
  return size;
}

/**
 * `recent` is the newest stored messages of the conversation, oldest first; the message just stored (`ids`) is
 * normally the last of them, and is added from `frame` when it is not.
 */
export function generationRequest(
  config: PromptConfig,
  recent: readonly ChatMessage[],
  frame: SendFrame,
  ids: MessageIds,
  userId: string,
): GenerationRequest {
  const history: PromptMessage[] = [];
  let budget = config.maxPromptChars - (config.systemPrompt?.length ?? 0);
  // Walk newest → oldest; the message just stored is the newest and always fits (it is within maxTextChars).
  for (let i = recent.length - 1; i >= 0; i--) {
    const m = recent[i]!;
    const size = promptSize(m);
    if (size > budget && history.length > 0) break;
    budget -= size;
    history.unshift(promptMessage(m));
  }
  if (history.length === 0 || recent.at(-1)?.id !== ids.messageId)
    history.push(
      frame.toolResults?.length
        ? { role: 'tool', content: '', toolResults: frame.toolResults }
        : {
            role: 'user',
            content: frame.text,
            ...(frame.attachments?.length ? { attachments: frame.attachments } : {}),
          },
    );
  // A tool turn whose calls fell out of the window would confuse the model (and vLLM refuses it): drop it.
  while (history[0]?.role === 'tool') history.shift();
  const messages: PromptMessage[] = config.systemPrompt
    ? [{ role: 'system', content: config.systemPrompt }, ...history]
    : history;
  const request: GenerationRequest = {
    // The message id (derived from user + clientMessageId) rather than the raw client id: one user cannot
    // occupy another user's dedup slot by guessing their client ids.
    requestId: ids.messageId,
    streamId: ids.streamId,
    conversationId: frame.conversationId,
    userId,
    replyTo: ids.messageId,
    messages,
    maxTokens: Math.min(frame.maxTokens ?? config.defaultMaxTokens, config.maxMaxTokens),
    priority: 0,
    createdAt: Date.now(),
  };
  const model = frame.model ?? config.defaultModel;
  if (model !== undefined) request.model = model;
  if (frame.temperature !== undefined) request.temperature = frame.temperature;
  return request;
}
