import { startNats, type RunningServer } from '@locallightchat/test-support';
import type { Broker } from '../src/broker.js';
import { runBrokerConformance } from '../src/conformance.js';
import { NatsBroker } from '../src/nats-broker.js';

runBrokerConformance('NATS JetStream', async () => {
  const server: RunningServer = await startNats();
  const brokers: Broker[] = [];
  return {
    connect: async () => {
      const broker = await NatsBroker.connect({ servers: server.url, ackWaitMs: 3000, log: () => undefined });
      brokers.push(broker);
      return broker;
    },
    teardown: async () => {
      for (const b of brokers) await b.close();
      await server.stop();
    },
  };
});
