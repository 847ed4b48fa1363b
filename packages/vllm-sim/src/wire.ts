/**
 * vLLM's OpenAI-compatible response bodies, byte for byte. Streaming chunks are pydantic
 * `model_dump_json(exclude_unset=True)`: compact JSON, fields in declaration order, unset fields omitted
 * (so `stop_reason` appears only on the final chunk and `usage` only when asked for). Non-streaming responses
 * are full dumps. Key order below is therefore deliberate; JSON.stringify keeps insertion order.
 */
import type { FinishReason } from './sequence.js';
import type { ReasoningField } from './requests.js';

export interface ResponseIdentity {
  /** `chatcmpl-…` or `cmpl-…`. */
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

export interface UsageCounts {
  promptTokens: number;
  completionTokens: number;
}

export const SSE_DONE = 'data: [DONE]\n\n';

const sse = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`;

function usageJson(u: UsageCounts) {
  return {
    prompt_tokens: u.promptTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    completion_tokens: u.completionTokens,
  };
}

function chatChunk(ident: ResponseIdentity, choice: Record<string, unknown>, usage?: UsageCounts): string {
  return sse({
    id: ident.id,
    object: 'chat.completion.chunk',
    created: ident.created,
    model: ident.model,
    choices: [choice],
    ...(usage ? { usage: usageJson(usage) } : {}),
  });
}

/** The first chunk, sent once the first token exists (after queueing and prefill). */
export function chatRoleChunk(ident: ResponseIdentity, usage?: UsageCounts): string {
  return chatChunk(
    ident,
    { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    usage,
  );
}

/** A content or reasoning delta; one delta may hold several tokens. */
export function chatDeltaChunk(
  ident: ResponseIdentity,
  delta: { content?: string; reasoning?: string },
  reasoningField: ReasoningField,
  usage?: UsageCounts,
): string {
  return chatChunk(
    ident,
    { index: 0, delta: deltaJson(delta, reasoningField), logprobs: null, finish_reason: null },
    usage,
  );
}

/** A `delta.tool_calls` entry as vLLM's hermes parser writes it (key order: index, type, id, function). */
export type ToolCallEntry =
  | { index: number; type: 'function'; id: string; function: { name: string } }
  | { index: number; function: { arguments: string } };

/** Tool-call deltas: `content` is null beside them (the parser sets both fields). */
export function chatToolDeltaChunk(ident: ResponseIdentity, entries: ToolCallEntry[], usage?: UsageCounts): string {
  return chatChunk(
    ident,
    { index: 0, delta: { content: null, tool_calls: entries }, logprobs: null, finish_reason: null },
    usage,
  );
}

/** The final chunk of a tool-calling turn: remaining argument fragments (if any) and `finish_reason: "tool_calls"`. */
export function chatToolFinalChunk(ident: ResponseIdentity, entries: ToolCallEntry[], usage?: UsageCounts): string {
  return chatChunk(
    ident,
    {
      index: 0,
      delta: entries.length > 0 ? { tool_calls: entries } : {},
      logprobs: null,
      finish_reason: 'tool_calls',
      stop_reason: null,
    },
    usage,
  );
}

/** The last choice chunk: finish reason, `stop_reason: null`, and whatever text the last step produced. */
export function chatFinalChunk(
  ident: ResponseIdentity,
  delta: { content?: string; reasoning?: string },
  reasoningField: ReasoningField,
  finishReason: FinishReason,
  usage?: UsageCounts,
): string {
  const d = delta.content === undefined && delta.reasoning === undefined ? { content: '' } : delta;
  return chatChunk(
    ident,
    { index: 0, delta: deltaJson(d, reasoningField), logprobs: null, finish_reason: finishReason, stop_reason: null },
    usage,
  );
}

function deltaJson(
  delta: { content?: string; reasoning?: string },
  reasoningField: ReasoningField,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (delta.reasoning !== undefined) out[reasoningField] = delta.reasoning;
  if (delta.content !== undefined) out.content = delta.content;
  return out;
}

/** The usage chunk (`stream_options.include_usage`): no choices. */
export function usageChunk(
  ident: ResponseIdentity,
  object: 'chat.completion.chunk' | 'text_completion',
  usage: UsageCounts,
): string {
  return sse({
    id: ident.id,
    object,
    created: ident.created,
    model: ident.model,
    choices: [],
    usage: usageJson(usage),
  });
}

/** A `/v1/completions` stream chunk (no role chunk in this API). */
export function completionChunk(
  ident: ResponseIdentity,
  text: string,
  finishReason: FinishReason | null,
  usage?: UsageCounts,
): string {
  return sse({
    id: ident.id,
    object: 'text_completion',
    created: ident.created,
    model: ident.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null }],
    ...(usage ? { usage: usageJson(usage) } : {}),
  });
}

export function chatCompletionJson(
  ident: ResponseIdentity,
  text: string,
  reasoning: string | undefined,
  reasoningField: ReasoningField,
  finishReason: FinishReason,
  usage: UsageCounts,
  toolCalls: readonly { id: string; name: string; arguments: string }[] = [],
): string {
  const calling = toolCalls.length > 0 && finishReason === 'stop';
  return JSON.stringify({
    id: ident.id,
    object: 'chat.completion',
    created: ident.created,
    model: ident.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 ? null : text,
          refusal: null,
          annotations: null,
          audio: null,
          function_call: null,
          tool_calls: toolCalls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          })),
          [reasoningField]: reasoning ?? null,
        },
        logprobs: null,
        finish_reason: calling ? 'tool_calls' : finishReason,
        stop_reason: null,
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: { ...usageJson(usage), prompt_tokens_details: null },
    prompt_logprobs: null,
    kv_transfer_params: null,
  });
}

export function completionJson(
  ident: ResponseIdentity,
  text: string,
  finishReason: FinishReason,
  usage: UsageCounts,
): string {
  return JSON.stringify({
    id: ident.id,
    object: 'text_completion',
    created: ident.created,
    model: ident.model,
    choices: [
      { index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null, prompt_logprobs: null },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: { ...usageJson(usage), prompt_tokens_details: null },
    kv_transfer_params: null,
  });
}

/** `GET /v1/models`, vLLM's shape. */
export function modelsJson(model: string, maxModelLen: number, created: number): string {
  return JSON.stringify({
    object: 'list',
    data: [
      {
        id: model,
        object: 'model',
        created,
        owned_by: 'vllm',
        root: model,
        parent: null,
        max_model_len: maxModelLen,
        permission: [
          {
            id: `modelperm-${model
              .replace(/[^A-Za-z0-9]/g, '')
              .slice(0, 24)
              .toLowerCase()}`,
            object: 'model_permission',
            created,
            allow_create_engine: false,
            allow_sampling: true,
            allow_logprobs: true,
            allow_search_indices: false,
            allow_view: true,
            allow_fine_tuning: false,
            organization: '*',
            group: null,
            is_blocking: false,
          },
        ],
      },
    ],
  });
}
