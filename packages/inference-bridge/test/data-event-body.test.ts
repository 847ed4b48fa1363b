/**
 * The 'data'-event body reader keeps the contract of Node's own async iterator over a Readable: chunks in
 * order, then the end; a failure after the chunks before it; a premature close; a lagging consumer pauses the
 * stream (bounded memory) and resumes it; `return()` destroys the stream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { dataEventBody } from '../src/backends/data-event-body.js';

const bytes = (s: string) => Buffer.from(s);
const text = (chunks: Uint8Array[]) => chunks.map((c) => Buffer.from(c).toString()).join('|');

async function readAll(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

describe('dataEventBody', () => {
  it('reads the chunks in order, written before and after the reads start, then the end', async () => {
    const stream = new PassThrough();
    stream.write(bytes('a'));
    const reading = readAll(dataEventBody(stream));
    stream.write(bytes('b'));
    setImmediate(() => {
      stream.write(bytes('c'));
      stream.end();
    });
    assert.equal(text(await reading), 'a|b|c');
  });

  it('rejects with the stream’s failure once the chunks before it are read', async () => {
    const stream = new PassThrough();
    const iterator = dataEventBody(stream)[Symbol.asyncIterator]();
    stream.write(bytes('a'));
    await new Promise((r) => setImmediate(r));
    stream.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    assert.equal(text([(await iterator.next()).value as Uint8Array]), 'a');
    await assert.rejects(iterator.next(), { code: 'ECONNRESET' });
    await assert.rejects(iterator.next(), { code: 'ECONNRESET' }, 'and again on a later read');
  });

  it('rejects a read already waiting when the stream fails, and a stream closed before its end', async () => {
    const failing = new PassThrough();
    const waiting = dataEventBody(failing)[Symbol.asyncIterator]().next();
    failing.destroy(new Error('reset'));
    await assert.rejects(waiting, /reset/);
    const closed = new PassThrough();
    const read = dataEventBody(closed)[Symbol.asyncIterator]().next();
    closed.destroy();
    await assert.rejects(read, { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('pauses the stream for a lagging consumer and resumes it once the queue is read', async () => {
    const stream = new PassThrough();
    const iterator = dataEventBody(stream)[Symbol.asyncIterator]();
    const first = iterator.next(); // starts the flow
    for (let i = 0; i < 40; i++) stream.write(bytes(String(i)));
    await new Promise((r) => setImmediate(r));
    assert.equal(text([(await first).value as Uint8Array]), '0');
    assert.ok(stream.isPaused(), 'paused while chunks wait');
    const got: Uint8Array[] = [];
    const rest = (async () => {
      for (;;) {
        const read = await iterator.next();
        if (read.done) return;
        got.push(read.value);
      }
    })();
    stream.end();
    await rest;
    assert.equal(text(got), Array.from({ length: 39 }, (_, i) => String(i + 1)).join('|'), 'every chunk, in order');
  });

  it('destroys the stream when the consumer stops early', async () => {
    const stream = new PassThrough();
    stream.write(bytes('a'));
    for await (const chunk of dataEventBody(stream)) {
      assert.equal(Buffer.from(chunk).toString(), 'a');
      break;
    }
    assert.equal(stream.destroyed, true);
  });
});
