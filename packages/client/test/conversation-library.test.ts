/** The list request's frame: what the client sends for a title search, and what it refuses before sending. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CONVERSATION_QUERY_CHARS, decodeClientFrame, encodeFrame } from '@locallightchat/protocol';
import { LlcClientError } from '@locallightchat/client';
import { listConversationsFrame } from '@locallightchat/client/internal';

describe('listConversationsFrame', () => {
  it('trims the query and leaves a blank one out', () => {
    assert.deepEqual(listConversationsFrame({ query: '  Lisbon ', limit: 30 }), {
      type: 'list-conversations',
      limit: 30,
      query: 'Lisbon',
    });
    assert.deepEqual(listConversationsFrame({ query: '   ', before: '1:c_1' }), {
      type: 'list-conversations',
      before: '1:c_1',
    });
  });

  it('refuses a query longer than any title with a clear error, and sends the longest allowed one', () => {
    assert.throws(
      () => listConversationsFrame({ query: 'x'.repeat(MAX_CONVERSATION_QUERY_CHARS + 1) }),
      (e: unknown) => e instanceof LlcClientError && /at most 200 characters/.test(e.message),
    );
    const frame = listConversationsFrame({ query: 'x'.repeat(MAX_CONVERSATION_QUERY_CHARS) });
    assert.equal(decodeClientFrame(encodeFrame(frame)).ok, true, 'the relay accepts it');
  });
});
