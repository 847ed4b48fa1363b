/**
 * What the relay's frames mean for a client: each server frame is applied to the conversations
 * (ConversationStore), the answers being received (StreamTracker) and the outbox (Outbox), and a new connection
 * gets the frames that bring it up to date. Exactly once on screen, whatever arrives twice on the wire.
 */
import {
  applyToolCallParts,
  isRetryable,
  type ChatMessage,
  type ClientFrame,
  type ErrorFrame,
  type SendFrame,
  type ServerFrame,
  type StreamEndFrame,
  type SubscribedFrame,
  type TokenFrame,
} from '@locallightchat/protocol/core';
import type { ConversationStore } from './conversation-store.js';
import { branchOf } from './branches.js';
import { fromStored, keyOf, placeFrom } from './history-merge.js';
import type { Outbox } from './outbox.js';
import type { StreamTracker } from './stream-tracker.js';
import { isLive, isSettled, type ClientMessage, type StreamMetrics } from './types.js';

/** Messages per history page the client asks for (the first page of a conversation, and each older one). */
export const HISTORY_PAGE = 50;
/** When a relay refuses a resume retryably without saying when to ask again, ms. */
const RESUME_RETRY_MS = 2000;

/** An answer finished (any outcome), with its latency figures. */
export type StreamEndListener = (conversationId: string, message: ClientMessage, metrics: StreamMetrics) => void;

export class ConversationSync {
  /** Ended streams announced by `subscribed` that we never saw, until the history says whether they belong. */
  /** Answers taken off screen because their branch is not shown: their frames stay off until it is again. */
  readonly #offBranch = new Set<string>();
  /** Also those of other branches (running or not), until the history shows whether their question is shown. */
  readonly #endedUnseen = new Map<string, { conversationId: string; replyTo: string; done: boolean }>();
  /**
   * The relay's subscription grant per conversation (from `subscribed`), sent back with the next `subscribe` so a
   * reconnect re-joins without a Store read on the relay. Kept until a newer one arrives: an expired one is
   * harmless (the relay then reads the Store and answers with a new grant).
   */
  readonly #grants = new Map<string, string>();
  readonly #store: ConversationStore;
  readonly #streams: StreamTracker;
  readonly #outbox: Outbox;
  /** Carries frames the sync needs sent (history requests). */
  readonly #sendFrame: (frame: ClientFrame) => void;
  readonly #onStreamEnd: StreamEndListener;

  constructor(
    store: ConversationStore,
    streams: StreamTracker,
    outbox: Outbox,
    sendFrame: (frame: ClientFrame) => void,
    onStreamEnd: StreamEndListener,
  ) {
    this.#store = store;
    this.#streams = streams;
    this.#outbox = outbox;
    this.#sendFrame = sendFrame;
    this.#onStreamEnd = onStreamEnd;
  }

  /**
   * Shows a user message (status `pending`) and hands it to the outbox, which stores it and sends it until the
   * relay acknowledges it. It names the branch it is written on (the last message shown), so it lands there
   * whenever it is sent. An edit (`replaceFrom`) stops showing the turns it makes a new version of (they stay
   * stored, as another branch).
   */
  send(frame: SendFrame): ClientMessage {
    const placed =
      frame.replaceFrom === undefined ? { ...frame, ...branchOf(this.#store.messages(frame.conversationId)) } : frame;
    const message = this.#show(placed);
    this.#outbox.add(placed);
    return message;
  }

  /**
   * Shows the branch the relay now shows (`branch-selected`, or a new version made in another tab): the
   * conversation is loaded again; answers still being written on other branches keep running on the relay and
   * are resumed when their branch is shown again.
   */
  reloadBranch(conversationId: string): void {
    if (!this.#store.watches(conversationId)) return;
    for (const m of this.#store.hideBranch(conversationId)) if (m.streamId) this.#offScreen(m.streamId);
    this.#store.changed(conversationId);
    this.#sendFrame(this.subscribeFrame(conversationId));
    this.#sendFrame({ type: 'history', conversationId, limit: HISTORY_PAGE });
  }

  /**
   * Shows a user message that is not sent yet (its attachments upload first), placed on the branch shown now;
   * `sendPlaced` sends the returned frame later, unchanged. `place: false` shows a frame placed before (restored).
   */
  show(frame: SendFrame, place = true): { message: ClientMessage; frame: SendFrame } {
    const placed =
      place && frame.replaceFrom === undefined
        ? { ...frame, ...branchOf(this.#store.messages(frame.conversationId)) }
        : frame;
    return { message: this.#show(placed), frame: placed };
  }

  /** Hands a frame `show` placed to the outbox (the message is shown already). */
  sendPlaced(frame: SendFrame): void {
    this.#outbox.add(frame);
  }

  /** Shows and sends again the messages an earlier page left in the outbox (those not shown yet). */
  async restore(): Promise<void> {
    for (const frame of await this.#outbox.stored()) {
      if (this.#store.message(frame.conversationId, frame.clientMessageId)) continue;
      this.#show(frame);
      this.#outbox.restore(frame);
    }
  }

  /** Frames that bring a fresh connection up to date: subscriptions, resumes, unacknowledged sends. */
  resyncFrames(): ClientFrame[] {
    const frames: ClientFrame[] = [];
    for (const conversationId of this.#store.watched()) {
      frames.push(this.subscribeFrame(conversationId));
      if (!this.#store.historyLoaded(conversationId))
        frames.push({ type: 'history', conversationId, limit: HISTORY_PAGE });
    }
    frames.push(
      ...this.#streams.resyncFrames((conversationId, streamId) => {
        const message = this.#store.message(conversationId, streamId);
        return message && isLive(message.status) ? message.lastSeq : undefined;
      }),
      ...this.#outbox.frames(),
    );
    return frames;
  }

  /** A `subscribe` for the conversation, with its grant when the relay gave one. */
  subscribeFrame(conversationId: string): ClientFrame {
    const grant = this.#grants.get(conversationId);
    return grant ? { type: 'subscribe', conversationId, grant } : { type: 'subscribe', conversationId };
  }

  /** Applies one server frame. */
  apply(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ack': {
        const { conversationId, clientMessageId, messageId, streamId } = frame;
        this.#outbox.settle(clientMessageId);
        const question = this.#store.message(conversationId, clientMessageId);
        if (question) {
          question.id = messageId;
          question.status = 'done';
        }
        const answer = this.#answer(conversationId, streamId, messageId);
        if (!answer) return;
        this.#streams.sentAt(streamId, question?.createdAt);
        if (answer.status === 'pending') answer.status = 'queued';
        // A resent message (the first ack was lost): its answer may be running or finished — fetch what we miss.
        if (frame.duplicate && this.#streams.conversationOf(streamId) !== undefined)
          this.#streams.resume(conversationId, streamId, answer.lastSeq);
        return this.#store.changed(conversationId);
      }
      case 'message': {
        // Our own echo, or already known, when the key is held: it brings the message's place in the tree.
        const { conversationId, message } = frame;
        const held = this.#store.message(conversationId, keyOf(message));
        if (held) {
          placeFrom(held, message);
          held.id ??= message.id;
          return this.#store.changed(conversationId);
        }
        // A new version of a message (an edit or a regenerate in another tab): its branch is shown now.
        if (message.siblings) return this.reloadBranch(conversationId);
        if (this.#store.insert(conversationId, fromStored(message))) this.#store.changed(conversationId);
        return;
      }
      case 'branch-selected':
        return this.reloadBranch(frame.conversationId);
      case 'stream-start': {
        // The answer of a message not shown (on another branch) stays off screen, unless it is ours being sent.
        if (!this.#mayShow(frame.conversationId, frame.streamId, frame.replyTo)) return;
        const answer = this.#answer(frame.conversationId, frame.streamId, frame.replyTo);
        if (!answer) return;
        answer.model = frame.model;
        if (answer.status === 'queued' || answer.status === 'pending') answer.status = 'streaming';
        return this.#store.changed(frame.conversationId);
      }
      case 'queued': {
        const found = this.#findStream(frame.streamId);
        if (!found || found.message.lastSeq > 0) return;
        found.message.status = 'queued';
        found.message.queuePosition = frame.position;
        return this.#store.changed(found.conversationId);
      }
      case 'token':
        return this.#onToken(frame);
      case 'stream-end':
        return this.#onEnd(frame);
      case 'subscribed':
        return this.#onSubscribed(frame);
      case 'history-page':
        return this.#onHistory(frame.conversationId, frame.messages, frame.cursor);
      case 'error':
        return this.#onError(frame);
      default:
        return;
    }
  }

  #onToken(frame: TokenFrame): void {
    const found = this.#findStream(frame.streamId);
    if (!found) return; // a stream of a conversation we do not show
    const { conversationId, message } = found;
    if (!this.#streams.accept(frame, message.lastSeq)) return;
    message.text += frame.text;
    message.reasoning += frame.reasoning ?? '';
    if (frame.tools)
      message.toolCalls = applyToolCallParts(
        (message.toolCalls ?? []).map((c) => ({ ...c })),
        frame.tools,
      );
    message.lastSeq = frame.seq;
    message.status = 'streaming';
    message.queuePosition = undefined;
    this.#store.changed(conversationId);
  }

  #onEnd(frame: StreamEndFrame): void {
    const found = this.#findStream(frame.streamId);
    if (!found) return;
    const { conversationId, message } = found;
    if (isSettled(message.status)) return;
    if (frame.lastSeq > message.lastSeq) {
      // Batches are missing: finish once they are here (the resume brings them and this end again).
      return this.#streams.resume(conversationId, frame.streamId, message.lastSeq);
    }
    message.finishReason = frame.finishReason;
    if (frame.reasoningMs !== undefined) message.reasoningMs = frame.reasoningMs;
    message.status = frame.finishReason === 'cancelled' ? 'stopped' : frame.finishReason === 'error' ? 'error' : 'done';
    message.queuePosition = undefined;
    if (frame.errorCode) {
      message.error = {
        code: frame.errorCode,
        message: frame.errorMessage ?? frame.errorCode,
        retryable: isRetryable(frame.errorCode),
      };
    }
    const metrics = this.#streams.end(frame);
    this.#store.changed(conversationId);
    if (metrics) this.#onStreamEnd(conversationId, message, metrics);
  }

  #onSubscribed(frame: SubscribedFrame): void {
    const { conversationId } = frame;
    if (frame.grant) this.#grants.set(conversationId, frame.grant);
    for (const s of frame.streams) {
      // A stream we do not show belongs on screen only if the message it answers is shown (it may be on another
      // branch): decide when the history shows whether that message is there.
      const held = this.#store.messages(conversationId).some((m) => m.id === s.replyTo);
      if (!this.#store.message(conversationId, s.streamId) && (s.done || !held)) {
        this.#endedUnseen.set(s.streamId, { conversationId, replyTo: s.replyTo, done: s.done });
        this.#adoptEnded(conversationId);
        continue;
      }
      const answer = this.#answer(conversationId, s.streamId, s.replyTo);
      if (!answer) return;
      if (answer.lastSeq < s.lastSeq || (!s.done && answer.status !== 'done')) {
        if (!s.done && answer.status === 'pending') answer.status = 'streaming';
        if (!isSettled(answer.status)) this.#streams.resume(conversationId, s.streamId, answer.lastSeq);
      }
    }
  }

  #onHistory(conversationId: string, messages: ChatMessage[], cursor: string | undefined): void {
    if (!this.#store.watches(conversationId)) return;
    const completed = this.#store.mergeHistory(
      conversationId,
      messages,
      cursor,
      (key) => !this.#streams.resumePending(key),
    );
    for (const key of completed) this.#streams.forget(key);
    this.#adoptEnded(conversationId);
    this.#store.changed(conversationId);
  }

  #onError(frame: ErrorFrame): void {
    const ref = frame.ref;
    if (!ref) return;
    if (frame.code === 'resume-unavailable') {
      // The stream's tokens expired from the relays: its stored answer is in the history.
      const found = this.#findStream(ref);
      this.#streams.resumeUnavailable(ref);
      if (found) this.#sendFrame({ type: 'history', conversationId: found.conversationId, limit: HISTORY_PAGE });
      return;
    }
    if (this.#streams.resumePending(ref) && isRetryable(frame.code)) return this.#resumeRefused(ref, frame);
    const pending = this.#outbox.get(ref);
    const message = pending && this.#store.message(pending.conversationId, ref);
    if (!pending || !message) return;
    const retryable = isRetryable(frame.code);
    message.error = { code: frame.code, message: frame.message, retryable };
    // Retryable errors keep the message queued: the next connection resends it, or sooner when the relay said
    // when (rate limits, a broker outage). Others are final.
    if (!retryable) {
      this.#outbox.settle(ref);
      message.status = 'error';
    } else if (frame.retryAfterMs !== undefined) {
      this.#outbox.retryAfter(ref, frame.retryAfterMs);
    }
    this.#store.changed(pending.conversationId);
  }

  /**
   * A resume refused for now (the relay's broker busy or briefly away: `broker-unavailable` with `retryAfterMs`)
   * is asked again after that delay, from the seq held then; else the answer would wait, its resume pending, for
   * the next connection (a gap does not ask again while a resume is pending).
   */
  #resumeRefused(streamId: string, frame: ErrorFrame): void {
    const conversationId = this.#streams.conversationOf(streamId)!;
    setTimeout(() => {
      const answer = this.#store.message(conversationId, streamId);
      if (answer && isLive(answer.status) && this.#streams.resumePending(streamId))
        this.#streams.resume(conversationId, streamId, answer.lastSeq);
    }, frame.retryAfterMs ?? RESUME_RETRY_MS);
  }

  /**
   * Ended streams we never saw whose question is held and whose answer is not (e.g. it ended while no relay
   * could store it): shown and fetched from the relays' retention. Once the history is loaded, the others are
   * answers of removed turns and are dropped.
   */
  #adoptEnded(conversationId: string): void {
    if (!this.#store.watches(conversationId)) return;
    const messages = this.#store.messages(conversationId);
    for (const [streamId, ended] of this.#endedUnseen) {
      if (ended.conversationId !== conversationId) continue;
      if (this.#store.message(conversationId, streamId) || messages.some((m) => m.streamId === streamId)) {
        this.#endedUnseen.delete(streamId);
        continue;
      }
      if (!messages.some((m) => m.id === ended.replyTo)) {
        if (this.#store.historyLoaded(conversationId)) {
          this.#endedUnseen.delete(streamId);
          this.#offBranch.add(streamId);
        }
        continue;
      }
      this.#endedUnseen.delete(streamId);
      const answer = this.#answer(conversationId, streamId, ended.replyTo);
      if (answer) {
        // A running answer is live from now on (it can be stopped, and a reader resumes it).
        if (!ended.done && answer.status === 'pending') answer.status = 'streaming';
        this.#streams.resume(conversationId, streamId, answer.lastSeq);
      }
      this.#store.changed(conversationId);
    }
  }

  /** Whether the answer of a stream may be shown: not when it was taken off screen and its question is not shown. */
  #mayShow(conversationId: string, streamId: string, replyTo: string): boolean {
    return !this.#offBranch.has(streamId) || this.#store.messages(conversationId).some((m) => m.id === replyTo);
  }

  /** An answer leaves the screen (its branch is not shown): its tokens are not followed until it is again. */
  #offScreen(streamId: string): void {
    this.#streams.forget(streamId);
    this.#offBranch.add(streamId);
  }

  /** Shows a user message before it is sent (following its conversation from now on). */
  #show(frame: SendFrame): ClientMessage {
    const { conversationId } = frame;
    this.#store.watch(conversationId);
    if (frame.replaceFrom !== undefined) {
      // A new version: the old one and what follows it leave the screen (not the relay: they are a branch).
      for (const m of this.#store.hideFrom(conversationId, frame.replaceFrom))
        if (m.streamId) this.#offScreen(m.streamId);
    }
    const message: ClientMessage = {
      key: frame.clientMessageId,
      role: frame.toolResults?.length ? 'tool' : 'user',
      ...(frame.toolResults?.length ? { toolResults: frame.toolResults } : {}),
      ...(frame.attachments?.length ? { attachments: frame.attachments } : {}),
      text: frame.text,
      reasoning: '',
      createdAt: Date.now(),
      status: 'pending',
      clientMessageId: frame.clientMessageId,
      lastSeq: 0,
    };
    this.#store.insert(conversationId, message);
    this.#store.changed(conversationId);
    return message;
  }

  /** The answer of a stream (created when new), tracked while it is not settled. */
  #answer(conversationId: string, streamId: string, replyTo: string): ClientMessage | undefined {
    this.#offBranch.delete(streamId);
    const message = this.#store.answer(conversationId, streamId, replyTo);
    if (message && !isSettled(message.status)) this.#streams.track(streamId, conversationId);
    return message;
  }

  /** A tracked answer and its conversation. */
  #findStream(streamId: string): { conversationId: string; message: ClientMessage } | undefined {
    const conversationId = this.#streams.conversationOf(streamId);
    const message = conversationId === undefined ? undefined : this.#store.message(conversationId, streamId);
    return conversationId !== undefined && message ? { conversationId, message } : undefined;
  }
}
