import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, QuotaExceededError } from '@locallightchat/relay';
import { runStoreConformance } from '@locallightchat/relay/conformance';

runStoreConformance('memory', async () => {
  const store = new MemoryStore();
  const extra: MemoryStore[] = [];
  return {
    connect: async () => store,
    connectWithQuotas: async (quotas) => {
      const own = new MemoryStore(quotas);
      extra.push(own);
      return own;
    },
    teardown: async () => {
      await store.close();
      for (const s of extra) await s.close();
    },
  };
});

describe('MemoryStore bounds', () => {
  it('refuses new claims when full instead of evicting a conversation someone else could then claim', async () => {
    const store = new MemoryStore({ maxConversations: 10, maxConversationsPerUser: 100 });
    await store.claimConversation('c_victim', 'victim');
    for (let i = 0; i < 9; i++) await store.claimConversation(`c_${i}`, 'mallory');
    await assert.rejects(
      store.claimConversation('c_more', 'mallory'),
      (e: unknown) => e instanceof QuotaExceededError && e.quota === 'store-full',
    );
    assert.equal(await store.claimConversation('c_victim', 'mallory'), 'victim');
    assert.equal(await store.ownerOf('c_victim'), 'victim');
  });
});
