/**
 * `LlcChatTransport`: the AI SDK's `ChatTransport` over `LlcClient`. A `useChat` app switches to the relay by
 * passing it as `transport`; the chat id is the conversation id. What the app gains is the client's: one
 * connection for all tabs (SharedWorker or a leader tab), messages kept in an outbox until the relay has them,
 * and answers resumed from the last token seen after a reconnect or a reload (`reconnectToStream`, replayed from
 * the answer's start, as `resumeStreamIsReplay` says).
 *
 * The relay holds the conversation: `sendMessages` sends the new user message only (not the whole history the
 * AI SDK passes), an edit or a regenerate makes a new version of that turn on the relay (a
 * sibling branch, shown from then on; the old version stays stored).
 */
import { isLive, LlcClient, type ClientMessage, type LlcClientOptions } from '@locallightchat/client';
import { ID_PATTERN } from '@locallightchat/protocol';
import type { ChatRequestOptions, ChatTransport, UIMessage, UIMessageChunk } from 'ai';
import { followAnswer, type AnswerLocator } from './answer-stream.js';
import { matchUserMessage, textOf, toUIMessages } from './messages.js';

export interface LlcChatTransportOptions {
  /** A client to use (shared with the rest of the page; the transport does not close it). */
  client?: LlcClient;
  /** Or the options of a client for the transport to make, own and close in `close()`. */
  clientOptions?: LlcClientOptions;
}

/** A bad call (unknown chat id format, a message without text): thrown, so the AI SDK reports it in `error`. */
export class LlcChatTransportError extends Error {
  override name = 'LlcChatTransportError';
}

type SendOptions<M extends UIMessage> = Parameters<ChatTransport<M>['sendMessages']>[0];
type ReconnectOptions = { chatId: string; abortSignal?: AbortSignal } & ChatRequestOptions;

export class LlcChatTransport<M extends UIMessage = UIMessage> implements ChatTransport<M> {
  /** A resumed answer is sent from its first token: the AI SDK resets its partial copy first. */
  readonly resumeStreamIsReplay = true;
  /** The client this transport talks through. */
  readonly client: LlcClient;
  readonly #owned: boolean;
  /** The AI SDK's id of each user message sent here → the client's key for it. */
  readonly #sentAs = new Map<string, string>();

  constructor(options: LlcChatTransportOptions) {
    if (options.client) {
      this.client = options.client;
      this.#owned = false;
    } else if (options.clientOptions) {
      this.client = new LlcClient(options.clientOptions);
      this.#owned = true;
    } else {
      throw new LlcChatTransportError('LlcChatTransport needs `client` or `clientOptions`');
    }
  }

  async sendMessages(options: SendOptions<M>): Promise<ReadableStream<UIMessageChunk>> {
    const { chatId, messages, trigger, messageId, abortSignal } = options;
    const snapshot = await this.#loaded(chatId, abortSignal);
    const lastUser = messages.findLast((m) => m.role === 'user');
    if (!lastUser) throw new LlcChatTransportError('there is no user message to answer');
    const text = textOf(lastUser);
    if (!text.trim()) throw new LlcChatTransportError('only text messages can be sent to the relay');
    const ours = matchUserMessage(snapshot, messages, lastUser, this.#sentAs);
    let sent: ClientMessage;
    if (trigger === 'regenerate-message' || (messageId !== undefined && ours)) {
      // Regenerate (the AI SDK has removed the answer) or edit: a new version of that turn (a branch on the relay).
      if (!ours?.id) throw new LlcChatTransportError('that message is not on the relay yet; send it first');
      this.#stopLive(chatId);
      sent = this.client.send(chatId, text, { replaceFrom: ours.id });
    } else {
      sent = this.client.send(chatId, text);
    }
    this.#sentAs.set(lastUser.id, sent.key);
    return followAnswer(this.client, chatId, answerTo(sent.key), { abortSignal });
  }

  async reconnectToStream(options: ReconnectOptions): Promise<ReadableStream<UIMessageChunk> | null> {
    const { chatId, abortSignal } = options;
    const snapshot = await this.#loaded(chatId, abortSignal);
    const live = snapshot.messages.findLast((m) => m.role === 'assistant' && isLive(m.status));
    if (!live) return null;
    return followAnswer(this.client, chatId, (s) => s.messages.find((m) => m.key === live.key), { abortSignal });
  }

  /**
   * The conversation as the relay holds it, as UI messages: pass them as `useChat({ id, messages, resume: true })`
   * after a reload (an answer still being generated is among them and is resumed).
   */
  async loadMessages(chatId: string, abortSignal?: AbortSignal): Promise<M[]> {
    // The transport only makes text, reasoning and user parts, which any UIMessage type accepts.
    return toUIMessages(await this.#loaded(chatId, abortSignal)) as M[];
  }

  /** Ends the client if the transport made it (the AI SDK calls this when its chat is disposed). */
  close(): void {
    if (this.#owned) this.client.close();
  }

  /** Opens (follows) the conversation and waits for the relay's history of it. */
  #loaded(chatId: string, abortSignal: AbortSignal | undefined) {
    if (!ID_PATTERN.test(chatId))
      throw new LlcChatTransportError(`chat id ${JSON.stringify(chatId)} is not a conversation id (${ID_PATTERN})`);
    const first = this.client.open(chatId);
    if (first.historyLoaded) return Promise.resolve(first);
    return new Promise<ReturnType<LlcClient['snapshot']>>((resolve, reject) => {
      const onChange = () => {
        const snapshot = this.client.snapshot(chatId);
        if (!snapshot.historyLoaded) return;
        done();
        resolve(snapshot);
      };
      const onAbort = () => {
        done();
        const reason: unknown = abortSignal?.reason;
        reject(reason instanceof Error ? reason : new DOMException('aborted', 'AbortError'));
      };
      const done = () => {
        this.client.removeEventListener('conversation', onChange);
        abortSignal?.removeEventListener('abort', onAbort);
      };
      this.client.addEventListener('conversation', onChange);
      abortSignal?.addEventListener('abort', onAbort, { once: true });
      if (abortSignal?.aborted) onAbort();
    });
  }

  #stopLive(chatId: string): void {
    for (const m of this.client.snapshot(chatId).messages)
      if (m.streamId && isLive(m.status)) this.client.stop(chatId, m.streamId);
  }
}

/** The answer to the user message `key`: it appears once the relay has acknowledged the message. */
function answerTo(key: string): AnswerLocator {
  return (snapshot) => {
    const question = snapshot.messages.find((m) => m.key === key);
    if (question?.status === 'error') return { failed: question.error?.message ?? 'the message was refused' };
    if (question?.id === undefined) return undefined;
    return snapshot.messages.find((m) => m.role === 'assistant' && m.replyTo === question.id);
  };
}
