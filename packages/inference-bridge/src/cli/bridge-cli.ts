#!/usr/bin/env node
/**
 * `llc-bridge`: inference workers as their own process. They take generation requests from the broker's work
 * queue (any number of bridges share it) and stream answers from OpenAI-compatible servers (vLLM).
 *
 *   llc-bridge --broker nats://nats:4222 --backend-url http://gpu-1:8000/v1,http://gpu-2:8000/v1
 */
import { NatsBroker } from '@locallightchat/broker';
import { OpenAIBackend } from '../backends/index.js';
import { Bridge } from '../worker/bridge.js';
import { RoundRobinRouter } from '../worker/router.js';
import { CliUsageError, formatHelp, parseOptions, runCli, type OptionSpecs } from './options.js';

const OPTIONS = {
  broker: { type: 'string', env: 'LLC_BROKER', placeholder: 'nats://…', help: 'NATS server URL(s), comma-separated (required)' },
  'backend-url': { type: 'list', env: 'LLC_BACKEND_URL', placeholder: 'URLs', help: 'OpenAI-compatible base URLs, e.g. http://gpu:8000/v1 (required)' },
  'backend-api-key': { type: 'string', env: 'LLC_BACKEND_API_KEY', help: 'API key sent to the backends' },
  model: { type: 'string', env: 'LLC_MODEL', help: 'Model name reported when a request names none' },
  'max-in-flight': { type: 'number', env: 'LLC_BRIDGE_MAX_IN_FLIGHT', default: 256, help: 'Requests this process generates at once' },
  'batch-window-ms': { type: 'number', env: 'LLC_BRIDGE_BATCH_WINDOW_MS', default: 15, help: 'Later tokens are published at most this often per stream' },
  'batch-max-chars': { type: 'number', env: 'LLC_BRIDGE_BATCH_MAX_CHARS', default: 4096, help: '…or as soon as this many characters are held' },
} satisfies OptionSpecs;

async function main(): Promise<void> {
  const o = parseOptions(OPTIONS, process.argv.slice(2));
  if (o.help) {
    process.stdout.write(formatHelp('llc-bridge', 'LocalLightChat inference bridge: broker work queue → vLLM → conversation events.', OPTIONS));
    return;
  }
  if (!o.broker?.startsWith('nats://')) throw new CliUsageError('--broker nats://host:port is required (in-process brokers run inside llc-relay)');
  const urls = o['backend-url'] ?? [];
  if (urls.length === 0) throw new CliUsageError('--backend-url is required');
  const backends = urls.map((baseURL) => new OpenAIBackend({ baseURL, ...(o['backend-api-key'] ? { apiKey: o['backend-api-key'] } : {}) }));
  const broker = await NatsBroker.connect({ servers: o.broker.split(','), name: `llc-bridge-${process.pid}` });
  const bridge = new Bridge({
    broker,
    router: new RoundRobinRouter(backends),
    maxInFlight: o['max-in-flight'],
    batchWindowMs: o['batch-window-ms'],
    batchMaxChars: o['batch-max-chars'],
    ...(o.model ? { defaultModel: o.model } : {}),
    log: (m, e) => console.error(`[llc-bridge] ${m}`, e ?? ''),
  });
  bridge.start();
  console.log(`llc-bridge ready: broker ${o.broker}; backends ${urls.join(', ')}; up to ${o['max-in-flight']} streams`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error(`[llc-bridge] ${signal}: finishing running streams, taking no new ones`);
    bridge
      .stop(true, 30_000)
      .then(() => broker.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

runCli('llc-bridge', main);
