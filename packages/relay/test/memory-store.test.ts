import { runStoreConformance } from '../src/store/conformance.js';
import { MemoryStore } from '../src/store/memory-store.js';

runStoreConformance('memory', async () => {
  const store = new MemoryStore();
  return { connect: async () => store, teardown: () => store.close() };
});
