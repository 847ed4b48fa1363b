/**
 * The `data` of each server-sent event in a response body, chunk by chunk (parsed with eventsource-parser),
 * with a bound on one event's size: a server that never ends a line must not grow our memory without bound.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';

/** Thrown by {@link SseDataReader.next} when one event grows past the reader's bound. */
export class SseEventTooLargeError extends Error {
  override readonly name = 'SseEventTooLargeError';
  constructor(readonly maxEventChars: number) {
    super(`an event exceeds ${maxEventChars} characters`);
  }
}

/** Reads the data of the server-sent events in a response body, one body chunk at a time. */
export class SseDataReader {
  private readonly pending: string[] = [];
  private overflow = false;
  private readonly parser: EventSourceParser;
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly maxEventChars: number,
  ) {
    this.reader = body.getReader();
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
  async next(): Promise<string[] | undefined> {
    const read = await this.reader.read();
    if (read.done) return undefined;
    this.parser.feed(this.decoder.decode(read.value, { stream: true }));
    if (this.overflow) throw new SseEventTooLargeError(this.maxEventChars);
    return this.pending.splice(0);
  }
}
