import { MemoryStore } from '@locallightchat/relay';
import { runStoreConformance } from '@locallightchat/relay/conformance';

runStoreConformance('memory', async () => {
  const store = new MemoryStore();
  return { connect: async () => store, teardown: () => store.close() };
});
