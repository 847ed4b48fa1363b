/**
 * The settings of a bridge worker (`Bridge`, bridge.ts) and their defaults: one place for them, apart from the worker's logic.
 */
import type { Broker, GenerationRequest } from '@locallightchat/broker';
import type { Tracer } from '@opentelemetry/api';
import type { ToolChoice, ToolDefinition } from '../backend.js';
import { withDefaults } from '../options.js';
import type { Router } from '../router.js';
import type { AdmissionQueueOptions } from '../routing/admission-queue.js';
import type { AttachmentPolicy } from '../attachments/content-parts.js';
import type { BridgeMetrics } from './bridge-metrics.js';
import { DEFAULT_TOKEN_BATCHER_OPTIONS } from './token-batcher.js';

/**
 * Settings of a `Bridge`: its broker and router, and tunables with defaults in {@link DEFAULT_BRIDGE_OPTIONS}.
 */
export interface BridgeOptions {
  broker: Broker;
  router: Router;
  /** Requests this process generates at once. */
  maxInFlight?: number;
  /** Later tokens are published at most this often per stream, ms. */
  batchWindowMs?: number;
  /** …or as soon as this many characters are held. */
  batchMaxChars?: number;
  /** Model name reported in `stream-start` when the request names none. */
  defaultModel?: string;
  /** Notable events, with the ids of the request concerned (`llc-bridge` passes its JSON logger's `warn`). */
  log?: (message: string, error?: unknown, fields?: Record<string, unknown>) => void;
  /** Admission queue settings (used when the router does admission control). */
  admission?: AdmissionQueueOptions;
  /** Prometheus metrics to record into (see bridge-metrics.ts). */
  metrics?: BridgeMetrics;
  /**
   * The app's tools hook: the tools (and `tool_choice`) the model may use for a request, or undefined for none.
   * Tools are decided here, on the server, not by the browser: they name what the app's servers will run, so
   * a client must not be able to add or change them (it can still pick a conversation whose hook offers them).
   */
  tools?: (request: GenerationRequest) => { tools: ToolDefinition[]; toolChoice?: ToolChoice } | undefined;
  /**
   * How a user turn's attachments reach the model (images as URLs or inlined data: URLs, files' text as text
   * parts): see attachments/content-parts.ts for the choices and their defaults.
   */
  attachments?: AttachmentPolicy;
  /**
   * When every replica refused with 429 and a Retry-After (and no fallback serves), the request waits out the
   * Retry-After and tries again, for at most this long in all, ms (0 = fail at once).
   */
  maxRetryAfterWaitMs?: number;
  /**
   * Records OpenTelemetry spans (one per answer, one per backend attempt), continuing the relay's trace from the
   * request's trace context, and sends `traceparent` to the backend. Default: none (tracing off).
   */
  tracer?: Tracer;
}

/** The defaults of {@link BridgeOptions}. */
export const DEFAULT_BRIDGE_OPTIONS: Required<
  Pick<
    BridgeOptions,
    'maxInFlight' | 'batchWindowMs' | 'batchMaxChars' | 'defaultModel' | 'log' | 'maxRetryAfterWaitMs'
  >
> = {
  maxInFlight: 256,
  maxRetryAfterWaitMs: 20_000,
  batchWindowMs: DEFAULT_TOKEN_BATCHER_OPTIONS.windowMs,
  batchMaxChars: DEFAULT_TOKEN_BATCHER_OPTIONS.maxChars,
  defaultModel: 'default',
  log: (message, error) => console.error(`[llc-bridge] ${message}`, error ?? ''),
};

/** `options` over {@link DEFAULT_BRIDGE_OPTIONS}; a RangeError unless `maxInFlight` is a positive integer. */
export function resolveBridgeOptions(options: BridgeOptions): BridgeOptions & typeof DEFAULT_BRIDGE_OPTIONS {
  const resolved = withDefaults(DEFAULT_BRIDGE_OPTIONS, options);
  if (!Number.isInteger(resolved.maxInFlight) || resolved.maxInFlight < 1)
    throw new RangeError(`maxInFlight must be a positive integer, got ${resolved.maxInFlight}`);
  return resolved;
}
