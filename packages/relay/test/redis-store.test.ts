import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { startRedis, type RunningServer } from '@locallightchat/test-support';
import { RedisStore, StoreUnavailableError, type Store } from '@locallightchat/relay';
import { runStoreConformance } from '@locallightchat/relay/conformance';

runStoreConformance('Redis', async () => {
  const server = await startRedis();
  const stores: Store[] = [];
  return {
    connect: async () => {
      const store = await RedisStore.connect({ url: server.url });
      stores.push(store);
      return store;
    },
    connectWithQuotas: async (quotas) => {
      const store = await RedisStore.connect({ url: server.url, ...quotas });
      stores.push(store);
      return store;
    },
    teardown: async () => {
      for (const s of stores) await s.close();
      await server.stop();
    },
  };
});

describe('RedisStore outages', () => {
  let server: RunningServer;
  before(async () => (server = await startRedis()));
  after(async () => server.stop());

  it('fails fast with StoreUnavailableError while Redis is down and heals when it returns', async (t) => {
    const store = await RedisStore.connect({ url: server.url });
    t.after(() => store.close());
    const conv = newId('c_');
    assert.equal(await store.claimConversation(conv, 'alice'), 'alice');
    await server.kill();
    await assert.rejects(store.listMessages(conv, { limit: 5 }), StoreUnavailableError);
    assert.notEqual(store.status, 'connected');
    await server.restart();
    const deadline = Date.now() + 10_000;
    while (store.status !== 'connected' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.status, 'connected');
    // Redis here keeps nothing on disk, so the data is gone, but the store works again.
    assert.equal(await store.claimConversation(conv, 'bob'), 'bob');
  });

  it('counts every rate charge of one event-loop turn (sent as one pipeline), and fails them all while Redis is down', async (t) => {
    const store = await RedisStore.connect({ url: server.url });
    t.after(() => store.close());
    const key = `conn-user:${newId('u_')}`;
    const policy = { capacity: 5, refillPerSecond: 0.001 };
    // Two processes' worth of charges at once: exactly the capacity is taken, in the order asked.
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => store.consumeRate(key, 1, policy)));
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, true, true, true, true, false, false, false],
    );
    assert.equal(outcomes[7]!.ok === false && outcomes[7]!.retryAfterMs! > 0, true);
    await server.kill();
    const down = await Promise.allSettled(Array.from({ length: 3 }, () => store.consumeRate(key, 1, policy)));
    assert.deepEqual(
      down.map((d) => d.status === 'rejected' && d.reason instanceof StoreUnavailableError),
      [true, true, true],
    );
    await server.restart();
  });

  it('refuses to start when Redis cannot be reached', async () => {
    await assert.rejects(RedisStore.connect({ url: 'redis://127.0.0.1:1' }), StoreUnavailableError);
  });
});
