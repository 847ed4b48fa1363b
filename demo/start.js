#!/usr/bin/env node
/**
 * `npm start`: the whole stack in one process on the embedded default — vLLM simulator → bridge → in-memory
 * broker → relay — serving the built demo page from the relay itself (one origin). Prints the URL on its own
 * line. Environment: LLC_PORT (default 8787; a free port if taken), LLC_HOST (default 127.0.0.1),
 * LLC_SIM_PROFILE (default 8b-h100), LLC_SIM_REASONING_FIELD (`reasoning` or `reasoning_content`: the simulator
 * acts as a reasoning model), LLC_DEMO_TOOLS (`1`/`0`: offer the demo's get_weather tool; default on with the
 * simulator, off with LLC_BACKEND_URL), LLC_BACKEND_URL (use a real vLLM instead of the simulator),
 * LLC_DEMO_HISTORY (messages in the sample long conversation, default 10000; 0 for none). Attachments go to the
 * relay's upload endpoint, in a temporary directory removed at exit; the bridge passes images to the model by
 * URL (the relay's address) and text files' text.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { OpenAIBackend } from '@locallightchat/inference-bridge';
import { consoleLogger } from '@locallightchat/relay';
import { startEmbeddedStack } from '@locallightchat/stack';
import { startSimulator } from '@locallightchat/vllm-sim';
import { SAMPLE_CONVERSATION, SAMPLE_USER, seedSampleHistory } from './sample-history.js';

const staticDir = fileURLToPath(new URL('./dist/', import.meta.url));
if (!existsSync(staticDir)) {
  console.error('demo/dist is missing: run `npm run build` first (npm start does it for you).');
  process.exit(1);
}

const host = process.env.LLC_HOST ?? '127.0.0.1';
const wanted = Number(process.env.LLC_PORT ?? 8787);
const log = consoleLogger('llc-demo');

/** The wanted port if it is free, else 0 (the kernel picks one). */
async function pickPort(port) {
  if (port === 0) return 0;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, host, () => probe.close(() => resolve(port)));
  });
}

let sim;
let backendUrl = process.env.LLC_BACKEND_URL;
if (!backendUrl) {
  const reasoningField = process.env.LLC_SIM_REASONING_FIELD;
  sim = await startSimulator({
    port: 0,
    host: '127.0.0.1',
    profile: process.env.LLC_SIM_PROFILE ?? '8b-h100',
    // A reasoning model (`reasoning` or the legacy `reasoning_content` delta field): answers start with thoughts.
    ...(reasoningField ? { reasoningField } : {}),
  });
  backendUrl = sim.url;
}
/**
 * A tool the demo offers the model (the bridge's server-side tools hook): with the simulator by default (ask
 * "use get_weather for Paris"), with a real vLLM only when LLC_DEMO_TOOLS=1 (vLLM needs
 * --enable-auto-tool-choice for it). The page runs it after the reader approves (demo/src/main.ts).
 */
const DEMO_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city (the demo page answers with made-up figures).',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
        required: ['city'],
      },
    },
  },
];
const offerTools = process.env.LLC_DEMO_TOOLS ? process.env.LLC_DEMO_TOOLS === '1' : Boolean(sim);
const uploadDir = mkdtempSync(join(tmpdir(), 'llc-demo-uploads-'));
const stack = await startEmbeddedStack({
  // The small upload endpoint (attachments): files in a temporary directory, removed when the demo stops.
  relay: { host, port: await pickPort(wanted), staticDir, uploadDir },
  auth: { mode: 'dev' },
  backends: [new OpenAIBackend({ baseURL: backendUrl })],
  bridge: {
    defaultModel: sim?.model,
    ...(offerTools ? { tools: () => ({ tools: DEMO_TOOLS, toolChoice: 'auto' }) } : {}),
  },
  log,
});

const historyCount = Number(process.env.LLC_DEMO_HISTORY ?? 10_000);
if (historyCount > 0) await seedSampleHistory(stack.store, historyCount);

const shown = host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host;
console.log(`LocalLightChat demo (relay + bridge + ${sim ? 'vLLM simulator' : backendUrl}), open:`);
console.log(`http://${shown}:${stack.relay.port}/`);
if (historyCount > 0) {
  console.log(
    `A ${historyCount.toLocaleString('en')}-message conversation to scroll while answers stream (also linked on the page): http://${shown}:${stack.relay.port}/?user=${SAMPLE_USER}&conversation=${SAMPLE_CONVERSATION}`,
  );
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    await stack.close();
    await sim?.close();
    rmSync(uploadDir, { recursive: true, force: true });
    process.exit(0);
  });
}
