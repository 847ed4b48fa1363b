/**
 * A response body read by its 'data' events, as an async iterable of its chunks: one promise per read, and
 * none made by the stream itself. Node's own async iterator over a Readable is an async generator driven by
 * 'readable' events and `read()`, which at 5,000 concurrent streams cost ~9 % of the read path's CPU in its
 * own frames (next, createAsyncIterator, maybeReadMore, emitReadable …; bench/bridge/backend-read.mjs
 * profile, 2026-12-06) besides its share of the microtask queue and the garbage collector.
 *
 * The same contract as that iterator: the chunks in order, then the end; a failure of the stream (a reset, a
 * destroy) rejects the next read once the chunks before it are read; a stream closed before its end rejects
 * with a premature-close error; `return()` (a consumer that stops early) destroys the stream. A consumer that
 * lags pauses the stream once {@link MAX_QUEUED_CHUNKS} chunks wait, and resumes it once they are read.
 */
import type { Readable } from 'node:stream';

/** Chunks held for a lagging consumer before the stream is paused (the socket then applies backpressure). */
const MAX_QUEUED_CHUNKS = 16;

type Read = IteratorResult<Uint8Array, undefined>;

const DONE: Read = Object.freeze({ done: true, value: undefined });

/** `stream` as an async iterable of its chunks, read by 'data' events (see the module note). */
export function dataEventBody(stream: Readable): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => new DataEventReader(stream) };
}

class DataEventReader implements AsyncIterator<Uint8Array, undefined> {
  private readonly queued: Uint8Array[] = [];
  private head = 0;
  private ended = false;
  private failure: Error | undefined;
  private waiting: { resolve: (read: Read) => void; reject: (error: unknown) => void } | undefined;

  constructor(private readonly stream: Readable) {
    stream.on('data', this.onData);
    stream.once('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.once('error', (error: unknown) => {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      this.wake();
    });
    stream.once('close', () => {
      if (!this.ended) this.failure ??= prematureClose();
      this.wake();
    });
  }

  next(): Promise<Read> {
    if (this.head < this.queued.length) return Promise.resolve(this.take());
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<Read> {
    this.stream.destroy();
    return Promise.resolve(DONE);
  }

  private readonly onData = (chunk: Uint8Array): void => {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
      return;
    }
    this.queued.push(chunk);
    if (this.queued.length - this.head >= MAX_QUEUED_CHUNKS) this.stream.pause();
  };

  private take(): Read {
    const value = this.queued[this.head++]!;
    if (this.head === this.queued.length) {
      this.queued.length = 0;
      this.head = 0;
      if (this.stream.isPaused() && !this.ended) this.stream.resume();
    }
    return { done: false, value };
  }

  /** Settles a read waiting for the stream's end or failure (a chunk would have settled it already). */
  private wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    if (this.failure !== undefined) waiting.reject(this.failure);
    else waiting.resolve(DONE);
  }
}

/** What Node's own iterator rejects with for a stream closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
