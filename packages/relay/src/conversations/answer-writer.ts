/**
 * Stores a stream's answer when it ends (conversation-hub.ts): the assistant message with its text, reasoning,
 * tool calls and failure reason, placed after the message it replies to. Idempotent: the message id derives from
 * the stream, so every node that follows the stream may write it and the store inserts it once.
 */
import type { Broker } from '@locallightchat/broker';
import type { ChatMessage } from '@locallightchat/protocol';
import type { Store } from '../store/store.js';
import { assistantMessageId, userMessageIdOf } from './ids.js';
import { StreamRecord } from './stream-record.js';

/** How long an answer the store refused is retried (an outage of the store longer than this loses it). */
const PERSIST_RETRY_FOR_MS = 15 * 60_000;

/**
 * Pauses before asking the broker again for a stream this node missed part of (31 s in all): a batch a JetStream
 * leader election holds back, or one its bridge is still sending again (the broker's publish deadline is 30 s),
 * arrives within it. Asked once only, 3 answers of 50 were stored by no one in the NATS-cluster chaos scenario.
 */
const REBUILD_PAUSES_MS = [1000, 2000, 4000, 8000, 16_000];

export class AnswerWriter {
  /** Pending retries of answers the store refused (see storeAnswer). */
  private readonly retries = new Set<ReturnType<typeof setTimeout>>();
  /** Pending pauses between rebuilds (see rebuild); `close` ends them at once. */
  private readonly pauses = new Map<ReturnType<typeof setTimeout>, () => void>();
  private closed = false;

  constructor(
    private readonly broker: Broker,
    private readonly store: Store,
    private readonly log: (message: string, error?: unknown, fields?: Record<string, unknown>) => void,
  ) {}

  /** Stops the pending retries (the hub closes). */
  close(): void {
    this.closed = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    for (const [timer, resolve] of this.pauses) {
      clearTimeout(timer);
      resolve();
    }
    this.pauses.clear();
  }

  /**
   * Stores the answer of an ended stream: from `record` when it holds all of it, else rebuilt from the broker's
   * retained events; nothing when neither has it whole (another node does). Not ended: nothing. Resolves true
   * when the answer was stored or is being retried (see storeAnswer), false when this node could not store it.
   */
  async persist(conversationId: string, record: StreamRecord | undefined): Promise<boolean> {
    if (!record?.end) return false;
    const { streamId } = record;
    // Else this node joined mid-stream (or missed batches): rebuild the answer from the broker's retained events.
    const full = record.completeText() ?? (await this.rebuild(conversationId, streamId));
    if (!full) {
      this.log(
        `stream ${streamId} ended but its text is incomplete on this node; another node persists it`,
        undefined,
        {
          conversationId,
          streamId,
        },
      );
      return false;
    }
    const end = record.end;
    const message: ChatMessage = {
      id: assistantMessageId(streamId),
      role: 'assistant',
      text: full.text,
      createdAt: record.start?.createdAt ?? Date.now(),
      streamId,
      finishReason: end.finishReason,
    };
    // The reason of a failure is kept with the answer, so a reload or another browser shows what the user saw.
    if (end.errorCode !== undefined) message.errorCode = end.errorCode;
    if (end.errorMessage !== undefined) message.errorMessage = end.errorMessage;
    if (full.reasoning) message.reasoning = full.reasoning;
    if (end.reasoningMs !== undefined) message.reasoningMs = end.reasoningMs;
    if (full.toolCalls.length > 0) message.toolCalls = full.toolCalls;
    // The answer follows the message it replies to, on that message's branch (whichever branch is shown).
    await this.storeAnswer(conversationId, message, { parentId: record.start?.replyTo ?? userMessageIdOf(streamId) });
    return true;
  }

  /** Whether the answer of `streamId` is stored (by any node). */
  async isStored(conversationId: string, streamId: string): Promise<boolean> {
    return (await this.store.messagesTo(conversationId, assistantMessageId(streamId), 1)).length > 0;
  }

  /** The answer from the broker's retained events, asked again while it is incomplete (see REBUILD_PAUSES_MS). */
  private async rebuild(conversationId: string, streamId: string): Promise<ReturnType<StreamRecord['completeText']>> {
    for (let attempt = 0; ; attempt++) {
      const events = await this.broker.replay({ conversationId, streamId, fromSeq: 1 }).catch((error: unknown) => {
        this.log(`could not read stream ${streamId} back from the broker`, error, { conversationId, streamId });
        return [];
      });
      const rebuilt = new StreamRecord(streamId, Number.MAX_SAFE_INTEGER);
      for (const e of events) if (e.type !== 'message') rebuilt.add(e);
      const full = rebuilt.completeText();
      const pause = REBUILD_PAUSES_MS[attempt];
      if (full || pause === undefined || this.closed) return full;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.pauses.delete(timer);
          resolve();
        }, pause);
        timer.unref?.();
        this.pauses.set(timer, resolve);
      });
    }
  }

  /**
   * Appends an answer, retrying while the store is unreachable (a Redis outage must not lose an answer the user
   * saw stream: found by the chaos suite). The append is idempotent (the id derives from the stream), so a retry
   * that races another node's write stores it once. Retries back off from 1 s to 30 s for up to
   * {@link PERSIST_RETRY_FOR_MS}; {@link close} stops them.
   */
  private async storeAnswer(
    conversationId: string,
    message: ChatMessage,
    placement: { parentId: string },
    since = Date.now(),
    delayMs = 1000,
  ): Promise<void> {
    try {
      await this.store.appendMessage(conversationId, message, placement);
    } catch (error) {
      const giveUp = Date.now() - since > PERSIST_RETRY_FOR_MS || this.closed;
      this.log(
        `could not persist the answer of stream ${message.streamId}${giveUp ? '; giving up' : `; retrying in ${delayMs} ms`}`,
        error,
        { conversationId, streamId: message.streamId },
      );
      if (giveUp) return;
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        void this.storeAnswer(conversationId, message, placement, since, Math.min(delayMs * 2, 30_000));
      }, delayMs);
      timer.unref?.();
      this.retries.add(timer);
    }
  }
}
