/**
 * One answer of a conversation as an AI SDK UI message stream. The client already turns the relay's frames into
 * a conversation snapshot (exactly once, across reconnects and tabs); this follows one answer in those snapshots
 * and emits what grew since the last one: `start` (its message id is the answer's key, the stream id), reasoning
 * and text parts as start/delta/end, then `finish`, `abort` (stopped) or `error`.
 */
import {
  isSettled,
  type ClientMessage,
  type ConversationEventDetail,
  type ConversationSnapshot,
  type LlcClient,
} from '@locallightchat/client';
import type { FinishReason as AiFinishReason, UIMessageChunk } from 'ai';

/** Finds the answer to follow in a snapshot (undefined while it does not exist yet), or says why there is none. */
export type AnswerLocator = (snapshot: ConversationSnapshot) => ClientMessage | { failed: string } | undefined;

export interface FollowOptions {
  /** Aborting stops a live answer on the relay (the AI SDK's `stop()`) and ends the stream. */
  abortSignal?: AbortSignal | undefined;
}

const FINISH_REASONS: Record<string, AiFinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  error: 'error',
};

/** The ids of an answer's parts: stable, so a replay after a reload builds the same message. */
const textPartId = (key: string) => `${key}-text`;
const reasoningPartId = (key: string) => `${key}-reasoning`;

/**
 * A stream of UI message chunks for the answer `locate` finds in `conversationId`. The text already received
 * comes first as one delta (a resumed answer is replayed from its beginning), then each growth as it arrives.
 */
export function followAnswer(
  client: LlcClient,
  conversationId: string,
  locate: AnswerLocator,
  options: FollowOptions = {},
): ReadableStream<UIMessageChunk> {
  let listener: ((event: CustomEvent<ConversationEventDetail>) => void) | undefined;
  let onAbort: (() => void) | undefined;
  const detach = () => {
    if (listener) client.removeEventListener('conversation', listener);
    if (onAbort) options.abortSignal?.removeEventListener('abort', onAbort);
    listener = onAbort = undefined;
  };
  return new ReadableStream<UIMessageChunk>({
    start(controller) {
      const emitter = new AnswerEmitter((chunk) => controller.enqueue(chunk));
      let live: ClientMessage | undefined;
      const end = () => {
        detach();
        controller.close();
      };
      const update = () => {
        const found = locate(client.snapshot(conversationId));
        if (found === undefined) return;
        if ('failed' in found) {
          emitter.fail(found.failed);
          return end();
        }
        live = found;
        if (emitter.update(found)) end();
      };
      listener = (event) => {
        if (event.detail.conversationId === conversationId) update();
      };
      client.addEventListener('conversation', listener);
      if (options.abortSignal) {
        onAbort = () => {
          // The AI SDK's stop(): stop the answer where it is produced, not only its display.
          if (live?.streamId && !isSettled(live.status)) client.stop(conversationId, live.streamId);
          end();
        };
        if (options.abortSignal.aborted) return onAbort();
        options.abortSignal.addEventListener('abort', onAbort, { once: true });
      }
      update();
    },
    cancel() {
      // The consumer went away (a closed page, a new request): the answer goes on, another stream can resume it.
      detach();
    },
  });
}

/** Turns successive states of one answer into the chunks between them. */
class AnswerEmitter {
  #started = false;
  #textSent = 0;
  #reasoningSent = 0;
  #textOpen = false;
  #reasoningOpen = false;
  readonly #emit: (chunk: UIMessageChunk) => void;

  constructor(emit: (chunk: UIMessageChunk) => void) {
    this.#emit = emit;
  }

  /** Emits what `answer` adds to what was sent; true once the answer is settled (and its last chunk sent). */
  update(answer: ClientMessage): boolean {
    const { key } = answer;
    if (!this.#started) {
      this.#started = true;
      this.#emit({ type: 'start', messageId: key });
    }
    if (answer.reasoning.length > this.#reasoningSent) {
      if (!this.#reasoningOpen) {
        this.#reasoningOpen = true;
        this.#emit({ type: 'reasoning-start', id: reasoningPartId(key) });
      }
      this.#emit({
        type: 'reasoning-delta',
        id: reasoningPartId(key),
        delta: answer.reasoning.slice(this.#reasoningSent),
      });
      this.#reasoningSent = answer.reasoning.length;
    }
    if (answer.text.length > this.#textSent) {
      // Models think first, then answer: the text closes the reasoning part.
      this.#closeReasoning(key);
      if (!this.#textOpen) {
        this.#textOpen = true;
        this.#emit({ type: 'text-start', id: textPartId(key) });
      }
      this.#emit({ type: 'text-delta', id: textPartId(key), delta: answer.text.slice(this.#textSent) });
      this.#textSent = answer.text.length;
    }
    if (!isSettled(answer.status)) return false;
    this.#closeReasoning(key);
    if (this.#textOpen) this.#emit({ type: 'text-end', id: textPartId(key) });
    this.#textOpen = false;
    if (answer.status === 'error') {
      this.#emit({ type: 'error', errorText: answer.error?.message ?? 'the answer failed' });
    } else if (answer.status === 'stopped') {
      // Stopped here or in another tab: the AI SDK's own signal for an answer cut short.
      this.#emit({ type: 'abort', reason: 'stopped' });
    } else {
      this.#emit({ type: 'finish', finishReason: FINISH_REASONS[answer.finishReason ?? 'stop'] ?? 'other' });
    }
    return true;
  }

  /** The message that was to be answered was refused (an error on the user message). */
  fail(reason: string): void {
    this.#emit({ type: 'error', errorText: reason });
  }

  #closeReasoning(key: string): void {
    if (!this.#reasoningOpen) return;
    this.#reasoningOpen = false;
    this.#emit({ type: 'reasoning-end', id: reasoningPartId(key) });
  }
}
