/**
 * The bridge side of the NATS work queue: a loop that pulls generation requests from the durable JetStream
 * consumer in batches of free slots and hands each to the handler as a {@link Delivery} (ack, nak, working).
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Consumer, Delivery, RequestHandler } from './broker.js';
import { BrokerMessageError, decodeRequest, type GenerationRequest } from './messages.js';
import { readTraceContext } from './trace-context.js';

/** How long one pull waits for requests before it asks again, ms. */
const PULL_EXPIRES_MS = 1000;
/** Pause after a failed pull (NATS unreachable) before the next, ms. */
const PULL_RETRY_MS = 1000;
/** Redelivery delay of a request whose handler threw, ms. */
const HANDLER_FAILURE_NAK_MS = 1000;

/** One attempt's wait for the server to confirm a work-queue ack, ms. */
const ACK_CONFIRM_TIMEOUT_MS = 2000;
const ACK = new TextEncoder().encode('+ACK');

/** Pulls requests in batches of free slots, so a bridge never holds more than `maxInFlight` at once. */
export class PullLoop implements Consumer {
  private stopped = false;
  private readonly inFlight = new Set<JsMsg>();
  private slotFreed?: () => void;
  private readonly done: Promise<void>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly durable: string,
    private readonly handler: RequestHandler,
    private readonly maxInFlight: number,
    private readonly log: (message: string, error?: unknown, fields?: Record<string, unknown>) => void,
    private readonly nc: NatsConnection,
    private readonly ackWaitMs: number,
  ) {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.slotFreed?.();
    // Give our unacknowledged requests back at once rather than after the ack deadline.
    for (const msg of this.inFlight) msg.nak();
    this.inFlight.clear();
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const free = this.maxInFlight - this.inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        const consumer = await this.js.consumers.get(this.stream, this.durable);
        const batch = await consumer.fetch({ max_messages: free, expires: PULL_EXPIRES_MS });
        for await (const msg of batch) {
          if (this.stopped) {
            msg.nak();
            continue;
          }
          this.dispatch(msg);
        }
      } catch (error) {
        if (this.stopped) break;
        this.log('pulling requests failed; retrying', error);
        await new Promise((r) => setTimeout(r, PULL_RETRY_MS));
      }
    }
  }

  private dispatch(msg: JsMsg): void {
    let request: GenerationRequest;
    try {
      request = decodeRequest(msg.data);
    } catch (error) {
      this.log(
        `terminated a malformed request (stream seq ${msg.seq})`,
        error instanceof BrokerMessageError ? error.message : error,
      );
      msg.term('malformed');
      return;
    }
    this.inFlight.add(msg);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (!this.inFlight.delete(msg)) return; // given back by stop()
      fn();
      this.slotFreed?.();
      this.slotFreed = undefined;
    };
    const traceContext = msg.headers ? readTraceContext((name) => msg.headers?.get(name) || undefined) : undefined;
    const delivery: Delivery = {
      request,
      attempt: msg.info.deliveryCount,
      ...(traceContext ? { traceContext } : {}),
      ack: async () => settle(() => void this.confirmAck(msg, request)),
      nak: async (delayMs) => settle(() => msg.nak(delayMs)),
      working: async () => {
        if (!settled) msg.working();
      },
    };
    Promise.resolve()
      .then(() => this.handler(delivery))
      .catch((error: unknown) => {
        this.log(`request ${request.requestId} handler failed`, error, {
          requestId: request.requestId,
          streamId: request.streamId,
          conversationId: request.conversationId,
        });
        settle(() => msg.nak(HANDLER_FAILURE_NAK_MS));
      });
  }

  /**
   * Acknowledges a request and waits for the server to confirm it, sending it again while unconfirmed for up to
   * the ack deadline: a plain ack sent while the work queue elects a leader (a NATS node died) is lost, and the
   * request was then generated a second time after `ackWaitMs` — a second answer under the same stream id.
   */
  private async confirmAck(msg: JsMsg, request: GenerationRequest): Promise<void> {
    const reply = (msg as Partial<{ reply: string }>).reply;
    const until = performance.now() + this.ackWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        // ackAck marks the message acknowledged, so a repeat goes out as a request of our own on its reply subject.
        if (attempt === 0 ? await msg.ackAck({ timeout: ACK_CONFIRM_TIMEOUT_MS }) : !reply) return;
        if (reply) {
          await this.nc.request(reply, ACK, { timeout: ACK_CONFIRM_TIMEOUT_MS });
          return;
        }
      } catch {
        // Not confirmed (timeout, no responders): try again below.
      }
      if (performance.now() >= until || this.nc.isClosed()) {
        this.log(`the work queue did not confirm the ack of request ${request.requestId}`, undefined, {
          requestId: request.requestId,
          streamId: request.streamId,
        });
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
    }
  }
}
