/** The seq rule's edge cases (packages/protocol/src/seq.ts), which every layer relies on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyBatch, firstSeqOf, followsBatch } from '../src/index.js';

describe('seq rule', () => {
  it('appends the batch right after the last one held, from the very first', () => {
    assert.equal(classifyBatch(0, { seq: 1 }), 'next');
    assert.equal(classifyBatch(7, { seq: 8 }), 'next');
  });

  it('drops what is already held, including a coalesced frame that ends at or before lastSeq', () => {
    assert.equal(classifyBatch(5, { seq: 5 }), 'old');
    assert.equal(classifyBatch(5, { seq: 1 }), 'old');
    assert.equal(classifyBatch(5, { seq: 5, firstSeq: 3 }), 'old');
  });

  it('calls a missing batch a gap, at the start too', () => {
    assert.equal(classifyBatch(5, { seq: 7 }), 'gap');
    assert.equal(classifyBatch(0, { seq: 2 }), 'gap');
  });

  it('treats a coalesced frame by its first batch: next when it starts right after, a gap when it overlaps in part', () => {
    assert.equal(classifyBatch(5, { seq: 9, firstSeq: 6 }), 'next');
    assert.equal(classifyBatch(5, { seq: 9, firstSeq: 4 }), 'gap', 'partial overlap: batches 4–5 would show twice');
    assert.equal(classifyBatch(5, { seq: 9, firstSeq: 8 }), 'gap');
  });

  it('reads firstSeq when a frame was coalesced, else seq; merges only consecutive batches', () => {
    assert.equal(firstSeqOf({ seq: 9 }), 9);
    assert.equal(firstSeqOf({ seq: 9, firstSeq: 6 }), 6);
    assert.ok(followsBatch({ seq: 5 }, { seq: 6 }));
    assert.ok(followsBatch({ seq: 5 }, { seq: 8, firstSeq: 6 }));
    assert.ok(!followsBatch({ seq: 5 }, { seq: 7 }));
    assert.ok(!followsBatch({ seq: 5 }, { seq: 5 }));
  });
});
