/**
 * The real embedded stack for tests: vLLM simulator (HTTP, on a free port) → bridge → in-memory broker →
 * relay (dev auth, free port). Tests talk to it over real sockets.
 */
import { OpenAIBackend } from '@locallightchat/inference-bridge';
import type { AuthConfig, RelayConfig, Store } from '@locallightchat/relay';
import { startEmbeddedStack, type EmbeddedStack } from '@locallightchat/stack';
import { startSimulator, type SimulatorOptions } from '@locallightchat/vllm-sim';

export interface TestStack {
  wsUrl: string;
  httpUrl: string;
  simUrl: string;
  stack: EmbeddedStack;
  /** A dev token for `user`. */
  token(user: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  relay?: Partial<RelayConfig>;
  /** Dev-mode auth settings (e.g. a short `devTokenTtlSec` for refresh tests). */
  auth?: Omit<AuthConfig, 'mode'>;
  /** Simulator profile (default `fast`). */
  profile?: string;
  /** Simulator speed multiplier. */
  speed?: number;
  /** Act as a reasoning model (the simulator's `--reasoning-field`): answers think first. */
  reasoningField?: SimulatorOptions['reasoningField'];
  staticDir?: string;
  /** The relay's store (default: a new MemoryStore with its default bounds). */
  store?: Store;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const sim = await startSimulator({
    port: 0,
    host: '127.0.0.1',
    profile: options.profile ?? 'fast',
    ...(options.speed ? { speed: options.speed } : {}),
    ...(options.reasoningField ? { reasoningField: options.reasoningField } : {}),
  });
  const stack = await startEmbeddedStack({
    relay: {
      host: '127.0.0.1',
      port: 0,
      ...(options.staticDir ? { staticDir: options.staticDir } : {}),
      ...options.relay,
    },
    auth: { ...options.auth, mode: 'dev' },
    ...(options.store ? { store: options.store } : {}),
    backends: [new OpenAIBackend({ baseURL: sim.url })],
    bridge: { defaultModel: sim.model },
    log: {
      error: (m, e) => console.error(m, e ?? ''),
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
    },
  });
  return {
    wsUrl: stack.relay.wsUrl,
    httpUrl: stack.relay.url,
    simUrl: sim.url,
    stack,
    token: async (user) => (await stack.auth.mintDevToken(user)).token,
    async close() {
      await stack.close();
      await sim.close();
    },
  };
}
