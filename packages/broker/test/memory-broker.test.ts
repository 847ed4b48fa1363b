import { runBrokerConformance } from '../src/conformance.js';
import { MemoryBroker } from '../src/memory-broker.js';

runBrokerConformance('memory', async () => {
  const broker = new MemoryBroker({ ackWaitMs: 2000 });
  return {
    connect: async () => broker,
    teardown: () => broker.close(),
  };
});
