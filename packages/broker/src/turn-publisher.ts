/**
 * Core publishes gathered over one event-loop turn and handed to the NATS client together.
 *
 * nats.js writes its outbound buffer in a microtask after the first command it buffers, so publishes made from
 * different tasks each cost one socket write. A bridge serving thousands of streams publishes from one task per
 * backend chunk: in a 2,000-stream run of bench/bridge, the NATS client's socket writes were the bridge's largest
 * cost (17 % of its samples, `writeBuffer` under `flushPending`). Gathered until the turn's check phase
 * (setImmediate), the publishes of every stream served in that turn share one write.
 *
 * Order is kept: publishes go out in the order they were made, and each promise resolves only once its message
 * is in the client's buffer, so whatever a caller sends after awaiting it (e.g. a work-queue ack after a stream's
 * first token) follows it on the connection.
 */
import type { MsgHdrs } from '@nats-io/transport-node';

/** Hands one message to the client (e.g. `nc.publish`, with `reply` when given); throws when it cannot. */
export type PublishNow = (subject: string, data: Uint8Array, headers: MsgHdrs, reply?: string) => void;

interface Pending {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs;
  reply: string | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Gathers publishes until the end of the current event-loop turn (see the module note). */
export class TurnPublisher {
  private pending: Pending[] = [];

  constructor(private readonly publishNow: PublishNow) {}

  /** Queues a publish for this turn; resolves once the client holds it, rejects if the client refused it. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs, reply?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ subject, data, headers, reply, resolve, reject });
      if (this.pending.length === 1) setImmediate(this.flush);
    });
  }

  /** Hands every queued publish to the client now (also before a flush or close of the connection). */
  readonly flush = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    for (const message of batch) {
      try {
        this.publishNow(message.subject, message.data, message.headers, message.reply);
        message.resolve();
      } catch (error) {
        message.reject(error);
      }
    }
  };
}
