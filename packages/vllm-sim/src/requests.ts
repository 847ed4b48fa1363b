/**
 * Parsing and validating `/v1/chat/completions` and `/v1/completions` bodies into engine work, in vLLM's order:
 * model (404) → body validation (400) → context length (400) → priority (400). Shared by the HTTP server and the
 * in-process SimulatorBackend, so both produce the same text for the same request.
 */
import { imagesPreface, readContent, withPreface } from './content-parts.js';
import { ApiErrors } from './api-errors.js';
import { hash32 } from './random.js';
import type { SchedulingPolicy } from './scheduler.js';
import { createAnswer, topicOf, type TokenSource } from './text-generator.js';
import { SimPromptTokenizer } from './token-ids.js';
import { chooseToolCalls, createToolCallAnswer, readTools } from './tool-answer.js';

/** Where reasoning text goes: vLLM's current `reasoning` field, or the legacy `reasoning_content`. */
export type ReasoningField = 'reasoning' | 'reasoning_content';

/** How this simulated server is configured (what `vllm serve` flags would say). */
export interface ServingConfig {
  model: string;
  maxModelLen: number;
  policy: SchedulingPolicy;
  /** Emulates `--reasoning-parser`: answers start with a reasoning phase, streamed in this delta field. */
  reasoningField?: ReasoningField;
  /** Tokenizer and chat template (token ids feed the prefix cache); default: a shared one, 16-token blocks. */
  tokenizer?: SimPromptTokenizer;
  /** vLLM `--stream-interval` (default 1; see SimulatorCoreOptions.streamInterval). */
  streamInterval?: number;
}

const SHARED_TOKENIZER = new SimPromptTokenizer();

/** One chat message as the simulator reads it (content parts joined to text). */
export interface ChatMessageInput {
  role: string;
  content: string;
  /** The URLs of its `image_url` parts (see content-parts.ts). */
  images?: string[];
}

/** A validated request, ready for the engine and the responder. */
export interface PreparedRequest {
  kind: 'chat' | 'completion';
  model: string;
  promptTokens: number;
  /** The prompt's token ids (chat template included), for prefix caching. */
  promptTokenIds: number[];
  maxTokens: number;
  priority: number;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  /** Reasoning field for this answer, when it has a reasoning phase. */
  reasoningField?: ReasoningField;
  source: TokenSource;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalInt(body: Json, key: string, min: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw ApiErrors.validation(`${key} must be an integer`, key);
  if (v < min) throw ApiErrors.validation(`${key} must be at least ${min}, got ${v}.`, key);
  return v;
}

function optionalBool(body: Json, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw ApiErrors.validation(`${key} must be a boolean`, key);
  return v;
}

/** Validates a `messages` array (400 for anything vLLM would refuse). */
export function parseMessages(value: unknown): ChatMessageInput[] {
  if (!Array.isArray(value) || value.length === 0)
    throw ApiErrors.validation('messages must be a non-empty array', 'messages');
  return value.map((m, i) => {
    if (!isObject(m) || typeof m.role !== 'string')
      throw ApiErrors.validation(`messages[${i}] must be an object with a string role`, 'messages');
    const { text, images } = readContent(m.content, i);
    return { role: m.role, content: text, ...(images.length > 0 ? { images } : {}) };
  });
}

/** Common sampling fields; returns the completion limit and the engine options. */
function common(body: Json, config: ServingConfig, promptTokens: number) {
  if (body.model !== undefined && body.model !== null && body.model !== config.model) {
    throw ApiErrors.modelNotFound(typeof body.model === 'string' ? body.model : JSON.stringify(body.model));
  }
  const stream = optionalBool(body, 'stream') ?? false;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!stream) throw ApiErrors.badRequest('Stream options can only be defined when `stream=True`.', 'stream_options');
    if (!isObject(streamOptions)) throw ApiErrors.validation('stream_options must be an object', 'stream_options');
  }
  const includeUsage = isObject(streamOptions) && streamOptions.include_usage === true;
  const continuousUsage = includeUsage && isObject(streamOptions) && streamOptions.continuous_usage_stats === true;
  const temperature = body.temperature;
  if (temperature !== undefined && temperature !== null && (typeof temperature !== 'number' || temperature < 0)) {
    throw ApiErrors.validation('temperature must be a number ≥ 0', 'temperature');
  }
  const n = optionalInt(body, 'n', 1);
  if (n !== undefined && n > 1) throw ApiErrors.validation('llc-vllm-sim supports n = 1 only', 'n');
  const requestedMax = optionalInt(body, 'max_completion_tokens', 1) ?? optionalInt(body, 'max_tokens', 1);
  const priority = optionalInt(body, 'priority', Number.MIN_SAFE_INTEGER) ?? 0;
  const seed = optionalInt(body, 'seed', Number.MIN_SAFE_INTEGER);
  const minTokens = optionalInt(body, 'min_tokens', 0) ?? 0;
  const ignoreEos = optionalBool(body, 'ignore_eos') ?? false;

  if (promptTokens >= config.maxModelLen) throw ApiErrors.contextTooLong(config.maxModelLen, promptTokens);
  if (requestedMax !== undefined && promptTokens + requestedMax > config.maxModelLen) {
    throw ApiErrors.maxTokensTooLarge(requestedMax, config.maxModelLen, promptTokens);
  }
  if (priority !== 0 && config.policy !== 'priority') throw ApiErrors.priorityNotEnabled(priority);
  // vLLM's default: whatever the context window leaves.
  const maxTokens = requestedMax ?? config.maxModelLen - promptTokens;
  return { stream, includeUsage, continuousUsage, priority, seed, minTokens, ignoreEos, maxTokens };
}

/** The engine work for a validated request: what chat and completion requests share. */
function prepared(
  kind: PreparedRequest['kind'],
  config: ServingConfig,
  promptTokenIds: number[],
  c: ReturnType<typeof common>,
  source: TokenSource,
  reasoningField?: ReasoningField,
): PreparedRequest {
  return {
    kind,
    model: config.model,
    promptTokens: promptTokenIds.length,
    promptTokenIds,
    maxTokens: c.maxTokens,
    priority: c.priority,
    stream: c.stream,
    includeUsage: c.includeUsage,
    continuousUsage: c.continuousUsage,
    ...(reasoningField ? { reasoningField } : {}),
    source,
  };
}

function answer(
  seed: number,
  topicText: string,
  minTokens: number,
  ignoreEos: boolean,
  reasoning: boolean,
): TokenSource {
  const base = { seed, topic: topicOf(topicText), reasoning };
  if (ignoreEos) return createAnswer({ ...base, targetTokens: Number.POSITIVE_INFINITY });
  if (minTokens > 0) {
    // Keep the seeded length unless min_tokens asks for more.
    const natural = createAnswer(base);
    let n = 0;
    while (natural.next()) n++;
    return createAnswer({ ...base, targetTokens: Math.max(n, minTokens) });
  }
  return createAnswer(base);
}

function textSeed(seed: number | undefined, fallback: string): number {
  return seed !== undefined ? hash32(`seed:${seed}`) : hash32(fallback);
}

/** Validates a `/v1/chat/completions` body in vLLM's order; throws SimApiError. */
export function prepareChat(body: unknown, config: ServingConfig): PreparedRequest {
  if (!isObject(body)) throw ApiErrors.validation('the request body must be a JSON object');
  const messages = parseMessages(body.messages);
  const promptTokenIds = (config.tokenizer ?? SHARED_TOKENIZER).chat(messages);
  const promptTokens = promptTokenIds.length;
  const c = common(body, config, promptTokens);
  const kwargs = body.chat_template_kwargs;
  const thinkingOff = isObject(kwargs) && kwargs.enable_thinking === false;
  const reasoningField = config.reasoningField && !thinkingOff ? config.reasoningField : undefined;
  const lastUserMessage = [...messages].reverse().find((m) => m.role === 'user');
  const lastUser = lastUserMessage?.content ?? '';
  const seed = textSeed(c.seed, JSON.stringify(messages));
  const offered = readTools(body);
  // After tool results the model answers from them (it does not call again).
  const afterResults = messages.at(-1)?.role === 'tool';
  const calls = offered && !afterResults ? chooseToolCalls(offered, lastUser, topicOf(lastUser), seed) : [];
  // A tool-calling turn has no reasoning phase here (the parser would stream it the same way, before the calls).
  if (calls.length > 0) return prepared('chat', config, promptTokenIds, c, createToolCallAnswer(calls));
  const source = answer(seed, lastUser, c.minTokens, c.ignoreEos, reasoningField !== undefined);
  const preface = imagesPreface(lastUserMessage?.images ?? []);
  return prepared('chat', config, promptTokenIds, c, withPreface(source, preface), reasoningField);
}

/** Validates a `/v1/completions` body in vLLM's order; throws SimApiError. */
export function prepareCompletion(body: unknown, config: ServingConfig): PreparedRequest {
  if (!isObject(body)) throw ApiErrors.validation('the request body must be a JSON object');
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (typeof prompt !== 'string')
    throw ApiErrors.validation('prompt must be a string (batched prompts are not supported)', 'prompt');
  const promptTokenIds = (config.tokenizer ?? SHARED_TOKENIZER).completion(prompt);
  const promptTokens = promptTokenIds.length;
  const c = common(body, config, promptTokens);
  const source = answer(textSeed(c.seed, prompt), prompt, c.minTokens, c.ignoreEos, false);
  return prepared('completion', config, promptTokenIds, c, source);
}
