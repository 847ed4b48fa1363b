/**
 * The request side of the OpenAI-compatible chat-completions wire, written once: `OpenAIBackend` sends this
 * body over HTTP, and the simulator's in-process backend hands the same body to the simulator's request parser,
 * so both validate and answer one request identically.
 */
import type { InferenceMessage } from '../attachments/content-parts.js';
import type { InferenceRequest } from '../backend.js';

/**
 * One prompt message in OpenAI's shape: an assistant turn with its `tool_calls` (content null when it said
 * nothing), a tool turn as one `tool` message per result (`tool_call_id`), anything else as role and content.
 */
function wireMessages(m: InferenceMessage): Record<string, unknown>[] {
  if (m.role === 'tool')
    return (m.toolResults ?? []).map((r) => ({ role: 'tool', tool_call_id: r.toolCallId, content: r.content }));
  if (m.toolCalls?.length)
    return [
      {
        role: m.role,
        content: m.content === '' ? null : m.content,
        tool_calls: m.toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      },
    ];
  // A turn with attachments: its text and their parts, as an array of content parts.
  if (m.parts) return [{ role: m.role, content: m.parts }];
  return [{ role: m.role, content: m.content }];
}

/**
 * The JSON body of `POST /chat/completions` for `request`: always streaming with `stream_options.include_usage`
 * (so usage arrives for token accounting); `model` only when known (else the server picks its default);
 * `temperature` and `seed` when set; `priority` only when not 0; `tools` (and `tool_choice`) when given.
 */
export function chatCompletionBody(request: InferenceRequest, model: string | undefined): Record<string, unknown> {
  return {
    ...(model !== undefined ? { model } : {}),
    messages: request.messages.flatMap(wireMessages),
    max_tokens: request.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    // vLLM refuses a non-zero priority unless it runs --scheduling-policy priority; 0 is its default.
    ...(request.priority ? { priority: request.priority } : {}),
    ...(request.tools && request.tools.length > 0
      ? { tools: request.tools, ...(request.toolChoice ? { tool_choice: request.toolChoice } : {}) }
      : {}),
  };
}
