/**
 * One stream's way out of the bridge: its frames published in order on the conversation's subject (each after
 * the one before it reached the broker), its token batches numbered 1, 2, 3…, and its work-queue delivery
 * settled exactly once — acknowledged as soon as the first token is out (from then on the request must not be
 * generated again elsewhere), or given back when it could not be answered.
 */
import type { Broker, ConversationEvent, Delivery } from '@locallightchat/broker';
import type { Batch } from './token-batcher.js';

/** How long a delivery given back waits before it is redelivered, ms. */
const REDELIVERY_DELAY_MS = 2000;

/** The frames and the delivery of one stream (see the module note). */
export class StreamPublisher {
  /** Seq of the last token batch published (0 = none yet). */
  seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private settled = false;

  constructor(
    private readonly broker: Broker,
    private readonly delivery: Delivery,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  private get request() {
    return this.delivery.request;
  }

  /** Publishes `frame` after every frame before it; a failed publish is logged and the stream goes on. */
  publish(frame: ConversationEvent): Promise<void> {
    const { conversationId } = this.request;
    this.chain = this.chain
      .then(() => this.broker.publish(conversationId, frame))
      .catch((error: unknown) => {
        this.log(`publishing to ${conversationId} failed`, error);
      });
    return this.chain;
  }

  /** Publishes a batch as the next token frame; the first one acknowledges the delivery once it is out. */
  token(batch: Batch): void {
    this.seq++;
    void this.publish({
      type: 'token',
      streamId: this.request.streamId,
      seq: this.seq,
      text: batch.text,
      ...(batch.reasoning ? { reasoning: batch.reasoning } : {}),
      ...(batch.tools.length > 0 ? { tools: batch.tools } : {}),
    });
    if (this.seq === 1) void this.chain.then(() => this.ack());
  }

  /** Acknowledges the delivery (once): it will not be redelivered. */
  async ack(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.delivery.ack();
  }

  /** Gives an unacknowledged delivery back, for another bridge (or this one, later) to try again. */
  async giveBack(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.delivery.nak(REDELIVERY_DELAY_MS).catch(() => undefined);
  }
}
