/**
 * The request side of the OpenAI-compatible chat-completions wire, written once: `OpenAIBackend` sends this
 * body over HTTP, and the simulator's in-process backend hands the same body to the simulator's request parser,
 * so both validate and answer one request identically.
 */
import type { InferenceRequest } from '../backend.js';

/**
 * The JSON body of `POST /chat/completions` for `request`: always streaming with `stream_options.include_usage`
 * (so usage arrives for token accounting); `model` only when known (else the server picks its default);
 * `temperature` and `seed` when set; `priority` only when not 0; `tools` (and `tool_choice`) when given.
 */
export function chatCompletionBody(request: InferenceRequest, model: string | undefined): Record<string, unknown> {
  return {
    ...(model !== undefined ? { model } : {}),
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
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
