/**
 * The `data` of each server-sent event in a response body, chunk by chunk (parsed with eventsource-parser),
 * with a bound on one event's size: a server that never ends a line must not grow our memory without bound.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';

/** One read of the body: bytes, or its end. */
type ByteRead = { done: true; value?: undefined } | { done: false; value: Uint8Array };

/** Thrown by {@link SseDataReader.next} when one event grows past the reader's bound. */
export class SseEventTooLargeError extends Error {
  override readonly name = 'SseEventTooLargeError';
  constructor(readonly maxEventChars: number) {
    super(`an event exceeds ${maxEventChars} characters`);
  }
}

/** Reads the data of the server-sent events in a response body, one body chunk at a time. */
export class SseDataReader {
  private pending: string[] = [];
  private overflow = false;
  private readonly parser: EventSourceParser;
  // StringDecoder rather than TextDecoder: the same streaming UTF-8 decode at a fraction of the cost per chunk
  // (TextDecoder.decode was 2.4 % of the bridge's CPU at 5,000 streams).
  private readonly decoder = new StringDecoder('utf8');
  private readonly read: () => Promise<ByteRead>;

  /** `body`: a fetch Response's body, or any async iterable of bytes (e.g. a node:http IncomingMessage). */
  constructor(
    body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
    private readonly maxEventChars: number,
  ) {
    if ('getReader' in body) {
      const reader = body.getReader();
      this.read = () => reader.read() as Promise<ByteRead>;
    } else {
      const iterator = body[Symbol.asyncIterator]();
      this.read = () => iterator.next() as Promise<ByteRead>;
    }
    this.parser = createParser({
      onEvent: (event) => this.pending.push(event.data),
      onError: (e) => void (e.type === 'max-buffer-size-exceeded' && (this.overflow = true)),
      maxBufferSize: maxEventChars,
    });
  }

  /**
   * Reads the next chunk of the body: the data of the events it completes (possibly none), or undefined at the
   * end of the body. A failure of the body itself (connection reset, abort) is thrown as the body throws it;
   * an event past the bound throws {@link SseEventTooLargeError}.
   */
  next(): Promise<string[] | undefined> {
    // A `then` rather than an async function: one promise turn less per read.
    return this.read().then(this.onRead);
  }

  private readonly onRead = (read: ByteRead): string[] | undefined => {
    if (read.done) return undefined;
    this.parser.feed(this.decoder.write(read.value));
    if (this.overflow) throw new SseEventTooLargeError(this.maxEventChars);
    const events = this.pending;
    if (events.length > 0) this.pending = [];
    return events;
  };
}
