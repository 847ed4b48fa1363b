/**
 * Backends of the embedded bridge: OpenAI-compatible URLs (vLLM), or a simulator started in-process.
 */
import { OpenAIBackend, type InferenceBackend } from '@locallightchat/inference-bridge';
import { CliUsageError } from '@locallightchat/cli-kit';
import { startSimulator } from '@locallightchat/vllm-sim';

export interface EmbeddedBackendOptions {
  urls: string[];
  apiKey?: string;
  simulate: boolean;
  simProfile: string;
  model?: string;
}

export interface EmbeddedBackends {
  backends: InferenceBackend[];
  /** Model name the backends serve by default, when known. */
  model?: string;
  description: string;
  close(): Promise<void>;
}

export async function startEmbeddedBackends(options: EmbeddedBackendOptions): Promise<EmbeddedBackends> {
  if (options.simulate) {
    const sim = await startSimulator({
      port: 0,
      host: '127.0.0.1',
      profile: options.simProfile,
      ...(options.model ? { model: options.model } : {}),
    });
    const backend = new OpenAIBackend({ baseURL: sim.url });
    return {
      backends: [backend],
      model: sim.model,
      description: `vLLM simulator (${options.simProfile}) at ${sim.url}`,
      close: () => sim.close(),
    };
  }
  if (options.urls.length === 0) {
    throw new CliUsageError(
      'the embedded bridge needs --backend-url <OpenAI-compatible URL> (e.g. http://gpu:8000/v1) or --simulate',
    );
  }
  const backends = options.urls.map(
    (baseURL) => new OpenAIBackend({ baseURL, ...(options.apiKey ? { apiKey: options.apiKey } : {}) }),
  );
  return {
    backends,
    description: `${backends.length} backend(s): ${options.urls.join(', ')}`,
    close: async () => undefined,
  };
}
