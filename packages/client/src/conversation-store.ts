/**
 * Conversation state built from server frames, exactly once on screen whatever arrives twice on the wire.
 *
 * The seq rule per answer: append a token batch when it starts right after the last one held; drop it when it
 * is old; otherwise (a gap, or a partial overlap after a coalesced replay) ask the relay to resume from the
 * last seq held + 1, once, and drop batches that do not fit until the resume catches up.
 */
import {
  ERROR_CODES,
  type ChatMessage,
  type ClientFrame,
  type ErrorFrame,
  type ServerFrame,
  type StreamEndFrame,
  type TokenFrame,
} from '@locallightchat/protocol';
import { fromStored, keyOf, mergeHistoryPage } from './history-merge.js';
import type { ClientMessage, ConversationSnapshot, StreamMetrics } from './types.js';

export interface StoreEvents {
  /** A conversation changed (any field of any message). */
  onChange(conversationId: string): void;
  /** Text was appended to an answer (for incremental renderers). */
  onTokens(conversationId: string, message: ClientMessage, text: string, reasoning: string): void;
  /** A frame must go to the relay (resumes triggered by gaps). */
  sendFrame(frame: ClientFrame): void;
  /** An answer finished (any outcome), with its latency figures. */
  onStreamEnd(conversationId: string, message: ClientMessage, metrics: StreamMetrics): void;
  /** An outgoing message is settled — acknowledged, or refused for good — and leaves the outbox. */
  onSettled?(clientMessageId: string): void;
}

interface Conversation {
  id: string;
  messages: ClientMessage[];
  byKey: Map<string, ClientMessage>;
  hasMore: boolean;
  cursor?: string;
  historyLoaded: boolean;
  /** Holds messages from the device cache that the relay has not confirmed yet. */
  seeded: boolean;
  snapshot?: ConversationSnapshot;
}

interface StreamTracking {
  conversationId: string;
  sentAt?: number;
  firstTokenAt?: number;
  batches: number;
  /** A resume was requested and has not caught up yet. */
  resumePending: boolean;
}

export class ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  private readonly streams = new Map<string, StreamTracking>();
  /** Ended streams announced by `subscribed` that we never saw, until the history says whether they belong. */
  private readonly endedUnseen = new Map<string, { conversationId: string; replyTo: string }>();
  /** Send frames not yet acknowledged, in order. */
  private readonly unacked = new Map<string, Extract<ClientFrame, { type: 'send' }>>();

  constructor(private readonly events: StoreEvents) {}

  /** Starts tracking a conversation (the client subscribes to it on every connection). */
  watch(conversationId: string): void {
    this.get(conversationId);
  }

  watches(conversationId: string): boolean {
    return this.conversations.has(conversationId);
  }

  watched(): string[] {
    return [...this.conversations.keys()];
  }

  snapshot(conversationId: string): ConversationSnapshot {
    const conv = this.get(conversationId);
    if (!conv.snapshot) {
      const busy = conv.messages.some(
        (m) => m.status === 'streaming' || m.status === 'queued' || m.status === 'pending',
      );
      conv.snapshot = { id: conv.id, messages: [...conv.messages], hasMore: conv.hasMore, cursor: conv.cursor, busy };
    }
    return conv.snapshot;
  }

  /**
   * Shows cached messages (from the device) while the relay's history is on its way. Ignored once the
   * conversation holds anything; the first history page replaces what it does not confirm.
   */
  seed(conversationId: string, messages: readonly ClientMessage[]): void {
    const conv = this.get(conversationId);
    if (conv.messages.length > 0 || conv.historyLoaded || messages.length === 0) return;
    for (const m of messages) this.insert(conv, { ...m, cached: true });
    conv.seeded = true;
    this.changed(conv);
  }

  /** Finished messages of a conversation, as they may be cached on the device. */
  cacheable(conversationId: string): ClientMessage[] {
    const conv = this.conversations.get(conversationId);
    if (!conv) return [];
    return conv.messages
      .filter((m) => m.status === 'done' || m.status === 'stopped' || (m.status === 'error' && m.role === 'assistant'))
      .map((m) => ({ ...m, cached: undefined }));
  }

  /** The message with this key (client message id or stream id), if held. */
  message(conversationId: string, key: string): ClientMessage | undefined {
    return this.conversations.get(conversationId)?.byKey.get(key);
  }

  /** Records a user message before it is sent; it is resent after every reconnect until acknowledged. */
  addOutgoing(frame: Extract<ClientFrame, { type: 'send' }>): ClientMessage {
    const conv = this.get(frame.conversationId);
    if (frame.replaceFrom !== undefined) this.truncateLocal(conv, frame.replaceFrom);
    const message: ClientMessage = {
      key: frame.clientMessageId,
      role: 'user',
      text: frame.text,
      reasoning: '',
      createdAt: Date.now(),
      status: 'pending',
      clientMessageId: frame.clientMessageId,
      lastSeq: 0,
    };
    this.insert(conv, message);
    this.unacked.set(frame.clientMessageId, frame);
    this.changed(conv);
    return message;
  }

  /** Frames that bring a fresh connection up to date: subscriptions, resumes, unacknowledged sends. */
  resyncFrames(): ClientFrame[] {
    const frames: ClientFrame[] = [];
    for (const conv of this.conversations.values()) {
      frames.push({ type: 'subscribe', conversationId: conv.id });
      if (!conv.historyLoaded) frames.push({ type: 'history', conversationId: conv.id, limit: 50 });
    }
    for (const [streamId, tracking] of this.streams) {
      const message = this.conversations.get(tracking.conversationId)?.byKey.get(streamId);
      if (message && (message.status === 'streaming' || message.status === 'queued')) {
        tracking.resumePending = true;
        frames.push({
          type: 'resume',
          conversationId: tracking.conversationId,
          streamId,
          fromSeq: message.lastSeq + 1,
        });
      }
    }
    frames.push(...this.unacked.values());
    return frames;
  }

  /** Applies one server frame. */
  apply(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ack':
        return this.onAck(
          frame.clientMessageId,
          frame.conversationId,
          frame.messageId,
          frame.streamId,
          frame.duplicate,
        );
      case 'message':
        return this.onMessage(frame.conversationId, frame.message);
      case 'stream-start': {
        const { message, conv } = this.answer(frame.conversationId, frame.streamId, frame.replyTo);
        message.model = frame.model;
        if (message.status === 'queued' || message.status === 'pending') message.status = 'streaming';
        return this.changed(conv);
      }
      case 'queued': {
        const found = this.findStream(frame.streamId);
        if (!found || found.message.lastSeq > 0) return;
        found.message.status = 'queued';
        found.message.queuePosition = frame.position;
        return this.changed(found.conv);
      }
      case 'token':
        return this.onToken(frame);
      case 'stream-end':
        return this.onEnd(frame);
      case 'subscribed':
        for (const s of frame.streams) {
          // An ended stream we never saw belongs on screen only if its turn still exists (an edit may have
          // removed it): decide when the history shows whether the message it answers is there.
          if (s.done && !this.conversations.get(frame.conversationId)?.byKey.has(s.streamId)) {
            this.endedUnseen.set(s.streamId, { conversationId: frame.conversationId, replyTo: s.replyTo });
            this.adoptEnded(frame.conversationId);
            continue;
          }
          const { message } = this.answer(frame.conversationId, s.streamId, s.replyTo);
          if (message.lastSeq < s.lastSeq || (!s.done && message.status !== 'done')) {
            if (!s.done && message.status === 'pending') message.status = 'streaming';
            if (message.status !== 'done' && message.status !== 'stopped' && message.status !== 'error')
              this.requestResume(frame.conversationId, s.streamId, message);
          }
        }
        return;
      case 'history-page':
        return this.onHistory(frame.conversationId, frame.messages, frame.cursor);
      case 'error':
        return this.onError(frame);
      default:
        return;
    }
  }

  // ───────────── frame handlers ─────────────

  private onAck(
    clientMessageId: string,
    conversationId: string,
    messageId: string,
    streamId: string,
    duplicate: boolean,
  ): void {
    if (this.unacked.delete(clientMessageId)) this.events.onSettled?.(clientMessageId);
    const conv = this.get(conversationId);
    const message = conv.byKey.get(clientMessageId);
    if (message) {
      message.id = messageId;
      message.status = 'done';
    }
    const answer = this.answer(conversationId, streamId, messageId).message;
    const tracking = this.streams.get(streamId);
    if (tracking) tracking.sentAt ??= message?.createdAt;
    if (answer.status === 'pending') answer.status = 'queued';
    // A resent message (the first ack was lost): its answer may be running or finished — fetch what we miss.
    if (duplicate && tracking) this.requestResume(conversationId, streamId, answer);
    this.changed(conv);
  }

  private onMessage(conversationId: string, incoming: ChatMessage): void {
    const conv = this.get(conversationId);
    const key = keyOf(incoming);
    if (conv.byKey.has(key)) return; // our own echo, or already known
    this.insert(conv, fromStored(incoming));
    this.changed(conv);
  }

  private onToken(frame: TokenFrame): void {
    const found = this.findStream(frame.streamId);
    if (!found) return; // a stream of a conversation we do not show
    const { conv, message } = found;
    const tracking = this.streams.get(frame.streamId)!;
    if (frame.seq <= message.lastSeq) return;
    const first = frame.firstSeq ?? frame.seq;
    if (first !== message.lastSeq + 1) {
      if (!tracking.resumePending) this.requestResume(conv.id, frame.streamId, message);
      return;
    }
    tracking.resumePending = false;
    message.text += frame.text;
    message.reasoning += frame.reasoning ?? '';
    message.lastSeq = frame.seq;
    message.status = 'streaming';
    message.queuePosition = undefined;
    tracking.batches++;
    tracking.firstTokenAt ??= performance.now();
    conv.snapshot = undefined;
    this.events.onTokens(conv.id, message, frame.text, frame.reasoning ?? '');
    this.changed(conv);
  }

  private onEnd(frame: StreamEndFrame): void {
    const found = this.findStream(frame.streamId);
    if (!found) return;
    const { conv, message } = found;
    if (message.status === 'done' || message.status === 'stopped' || message.status === 'error') return;
    if (frame.lastSeq > message.lastSeq) {
      // Batches are missing: finish once they are here (the resume brings them and this end again).
      return this.requestResume(conv.id, frame.streamId, message);
    }
    message.finishReason = frame.finishReason;
    message.status = frame.finishReason === 'cancelled' ? 'stopped' : frame.finishReason === 'error' ? 'error' : 'done';
    message.queuePosition = undefined;
    if (frame.errorCode) {
      message.error = {
        code: frame.errorCode,
        message: frame.errorMessage ?? frame.errorCode,
        retryable: ERROR_CODES[frame.errorCode].retryable,
      };
    }
    const tracking = this.streams.get(frame.streamId)!;
    const metrics: StreamMetrics = { streamId: frame.streamId, conversationId: conv.id, batches: tracking.batches };
    if (tracking.firstTokenAt !== undefined && tracking.sentAt !== undefined) {
      metrics.ttftMs = Math.max(0, tracking.firstTokenAt - (tracking.sentAt - Date.now() + performance.now()));
    }
    if (frame.usage) {
      metrics.completionTokens = frame.usage.completionTokens;
      if (tracking.firstTokenAt !== undefined && frame.usage.completionTokens > 1) {
        metrics.tpotMs = (performance.now() - tracking.firstTokenAt) / (frame.usage.completionTokens - 1);
      }
    }
    this.streams.delete(frame.streamId);
    this.changed(conv);
    this.events.onStreamEnd(conv.id, message, metrics);
  }

  private onHistory(conversationId: string, messages: ChatMessage[], cursor: string | undefined): void {
    const conv = this.get(conversationId);
    const completed = mergeHistoryPage(conv, messages, (key) => !this.streams.get(key)?.resumePending);
    for (const key of completed) this.streams.delete(key);
    conv.hasMore = cursor !== undefined;
    conv.cursor = cursor;
    this.adoptEnded(conversationId);
    this.changed(conv);
  }

  private onError(frame: ErrorFrame): void {
    if (!frame.ref) return;
    if (frame.code === 'resume-unavailable') {
      // The stream's tokens expired from the relays: its stored answer is in the history.
      const found = this.findStream(frame.ref);
      const tracking = this.streams.get(frame.ref);
      if (tracking) tracking.resumePending = false;
      if (found) this.events.sendFrame({ type: 'history', conversationId: found.conv.id, limit: 50 });
      return;
    }
    const pending = this.unacked.get(frame.ref);
    if (!pending) return;
    const message = this.conversations.get(pending.conversationId)?.byKey.get(frame.ref);
    if (!message) return;
    const retryable = ERROR_CODES[frame.code].retryable;
    message.error = { code: frame.code, message: frame.message, retryable };
    // Retryable errors keep the message queued: the next connection resends it, or sooner when the relay said
    // when (rate limits, a broker outage). Others are final.
    if (!retryable) {
      this.unacked.delete(frame.ref);
      message.status = 'error';
      this.events.onSettled?.(frame.ref);
    } else if (frame.retryAfterMs !== undefined) {
      const ref = frame.ref;
      setTimeout(() => {
        const still = this.unacked.get(ref);
        if (still) this.events.sendFrame(still);
      }, frame.retryAfterMs);
    }
    this.changed(this.get(pending.conversationId));
  }

  // ───────────── helpers ─────────────

  /**
   * Ended streams we never saw whose question is held and whose answer is not (e.g. it ended while no relay
   * could store it): shown and fetched from the relays' retention. Once the history is loaded, the others are
   * answers of removed turns and are dropped.
   */
  private adoptEnded(conversationId: string): void {
    const conv = this.conversations.get(conversationId);
    if (!conv) return;
    for (const [streamId, ended] of this.endedUnseen) {
      if (ended.conversationId !== conversationId) continue;
      if (conv.byKey.has(streamId) || conv.messages.some((m) => m.streamId === streamId)) {
        this.endedUnseen.delete(streamId);
        continue;
      }
      if (!conv.messages.some((m) => m.id === ended.replyTo)) {
        if (conv.historyLoaded) this.endedUnseen.delete(streamId);
        continue;
      }
      this.endedUnseen.delete(streamId);
      const { message } = this.answer(conversationId, streamId, ended.replyTo);
      this.requestResume(conversationId, streamId, message);
      this.changed(conv);
    }
  }

  private requestResume(conversationId: string, streamId: string, message: ClientMessage): void {
    const tracking = this.streams.get(streamId);
    if (tracking) tracking.resumePending = true;
    this.events.sendFrame({ type: 'resume', conversationId, streamId, fromSeq: message.lastSeq + 1 });
  }

  /** The answer message of a stream, created (after the user message it replies to) when new. */
  private answer(
    conversationId: string,
    streamId: string,
    replyTo: string,
  ): { conv: Conversation; message: ClientMessage } {
    const conv = this.get(conversationId);
    let message = conv.byKey.get(streamId);
    if (!message) {
      message = {
        key: streamId,
        role: 'assistant',
        text: '',
        reasoning: '',
        createdAt: Date.now(),
        status: 'pending',
        streamId,
        replyTo,
        lastSeq: 0,
      };
      const replyIndex = conv.messages.findIndex((m) => m.id === replyTo);
      if (replyIndex >= 0) {
        conv.messages.splice(replyIndex + 1, 0, message);
        conv.byKey.set(message.key, message);
      } else this.insert(conv, message);
    }
    if (
      !this.streams.has(streamId) &&
      message.status !== 'done' &&
      message.status !== 'stopped' &&
      message.status !== 'error'
    ) {
      this.streams.set(streamId, { conversationId, batches: 0, resumePending: false });
    }
    return { conv, message };
  }

  private findStream(streamId: string): { conv: Conversation; message: ClientMessage } | undefined {
    const tracking = this.streams.get(streamId);
    if (!tracking) return undefined;
    const conv = this.conversations.get(tracking.conversationId);
    const message = conv?.byKey.get(streamId);
    return conv && message ? { conv, message } : undefined;
  }

  private truncateLocal(conv: Conversation, fromId: string): void {
    const index = conv.messages.findIndex((m) => m.id === fromId);
    if (index === -1) return;
    for (const m of conv.messages.splice(index)) {
      conv.byKey.delete(m.key);
      if (m.streamId) this.streams.delete(m.streamId);
    }
  }

  private insert(conv: Conversation, message: ClientMessage): void {
    conv.messages.push(message);
    conv.byKey.set(message.key, message);
  }

  private get(conversationId: string): Conversation {
    let conv = this.conversations.get(conversationId);
    if (!conv) {
      conv = {
        id: conversationId,
        messages: [],
        byKey: new Map(),
        hasMore: false,
        historyLoaded: false,
        seeded: false,
      };
      this.conversations.set(conversationId, conv);
    }
    return conv;
  }

  private changed(conv: Conversation): void {
    conv.snapshot = undefined;
    this.events.onChange(conv.id);
  }
}
