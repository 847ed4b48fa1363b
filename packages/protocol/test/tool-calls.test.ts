/** Tool calls put together from token-batch parts (packages/protocol/src/tool-calls.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyToolCallParts, storedToolCalls, type ToolCallState } from '../src/index.js';

describe('tool-call parts', () => {
  it('put calls together in index order, from parts in any batch, and mark them complete at their end part', () => {
    const calls: ToolCallState[] = [];
    applyToolCallParts(calls, [{ index: 1, id: 't1', name: 'b', args: '{"x"' }]);
    applyToolCallParts(calls, [
      { index: 0, id: 't0', name: 'a', args: '{}' },
      { index: 1, args: ': 1}' },
    ]);
    assert.deepEqual(
      calls.map((c) => [c.index, c.id, c.name, c.arguments, c.complete]),
      [
        [0, 't0', 'a', '{}', false],
        [1, 't1', 'b', '{"x": 1}', false],
      ],
    );
    applyToolCallParts(calls, [
      { index: 0, end: true },
      { index: 1, end: true },
    ]);
    assert.ok(calls.every((c) => c.complete));
    assert.deepEqual(storedToolCalls(calls), [
      { id: 't0', name: 'a', arguments: '{}' },
      { id: 't1', name: 'b', arguments: '{"x": 1}' },
    ]);
  });
});
