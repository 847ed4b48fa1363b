/**
 * OpenTelemetry tracing for `llc-relay`, `llc-bridge` and `startEmbeddedStack`: an OTLP/HTTP (JSON) exporter
 * behind a batch span processor, off unless an endpoint is given. The relay and the bridge only take a `Tracer`
 * (from `@opentelemetry/api`) and create one span per answer — never per token — so with tracing off (no tracer)
 * nothing of it runs.
 *
 * Turned on by `--otel-endpoint URL` (config key `otel-endpoint`, env LLC_OTEL_ENDPOINT), or by the standard
 * OpenTelemetry variables an operator or a collector's injector sets: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full
 * URL) or OTEL_EXPORTER_OTLP_ENDPOINT (a base URL; `/v1/traces` is appended). OTEL_SERVICE_NAME names the service
 * (default: the command's name), OTEL_SDK_DISABLED=true turns tracing off whatever else is set.
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { OptionSpecs, ParsedOptions } from './options.js';
import { CliUsageError } from './usage-error.js';

export const TRACING_OPTIONS = {
  'otel-endpoint': {
    type: 'string',
    env: 'LLC_OTEL_ENDPOINT',
    placeholder: 'URL',
    help:
      'Export OpenTelemetry traces (one span per answer per tier) over OTLP/HTTP JSON to this collector, e.g. ' +
      'http://otel-collector:4318 (/v1/traces is appended). Also on when OTEL_EXPORTER_OTLP_ENDPOINT or ' +
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; off by default',
  },
  'otel-sample-ratio': {
    type: 'number',
    env: 'LLC_OTEL_SAMPLE_RATIO',
    default: 1,
    help: 'Fraction of answers traced (0..1); a bridge follows the relay decision carried in the trace context',
  },
} satisfies OptionSpecs;

export interface TracingOptions {
  /** OTLP/HTTP endpoint: a base URL (`/v1/traces` appended) or the full traces URL. */
  endpoint?: string;
  /** `service.name` of the spans; default OTEL_SERVICE_NAME, else `defaultServiceName`. */
  serviceName?: string;
  /** Fraction of new traces sampled (0..1, default 1); spans with a remote parent follow the parent's decision. */
  sampleRatio?: number;
  /** Where OTEL_* variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** How long finished spans wait before they are sent in a batch, ms (default 1000). */
  exportDelayMs?: number;
}

/** A running tracer provider (see {@link startTracing}). */
export interface Tracing {
  /** Where spans are sent. */
  readonly endpoint: string;
  readonly serviceName: string;
  /** A tracer for one instrumentation scope (e.g. `@locallightchat/relay`). */
  tracer(scope: string): Tracer;
  /** Sends what is still buffered (waits at most `timeoutMs`); call before exit. */
  shutdown(): Promise<void>;
}

/** The traces URL from options and env, or undefined when tracing is off. */
export function tracingEndpoint(options: Pick<TracingOptions, 'endpoint' | 'env'>): string | undefined {
  const env = options.env ?? process.env;
  if (/^true$/i.test(env.OTEL_SDK_DISABLED ?? '')) return undefined;
  const full = options.endpoint ? undefined : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (full) return full;
  const base = options.endpoint || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return undefined;
  return /\/v1\/traces\/?$/.test(base) ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts exporting spans when an endpoint is configured (see the module note); undefined when tracing is off.
 * A RangeError for a sample ratio outside 0..1 or an endpoint that is not an http(s) URL.
 */
export function startTracing(defaultServiceName: string, options: TracingOptions = {}): Tracing | undefined {
  const endpoint = tracingEndpoint(options);
  if (!endpoint) return undefined;
  if (!/^https?:\/\/[^/]/.test(endpoint))
    throw new RangeError(`the OTLP endpoint must be an http(s) URL, got "${endpoint}"`);
  const ratio = options.sampleRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`the trace sample ratio must be within 0..1, got ${ratio}`);
  const env = options.env ?? process.env;
  const serviceName = options.serviceName ?? (env.OTEL_SERVICE_NAME || defaultServiceName);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName,
      'process.pid': process.pid,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }), {
        scheduledDelayMillis: options.exportDelayMs ?? 1000,
      }),
    ],
  });
  return {
    endpoint,
    serviceName,
    tracer: (scope) => provider.getTracer(scope),
    shutdown: () => provider.shutdown(),
  };
}

/** {@link TracingOptions} from the parsed {@link TRACING_OPTIONS}. */
export function tracingOptions(o: ParsedOptions<typeof TRACING_OPTIONS>): TracingOptions {
  return { ...(o['otel-endpoint'] ? { endpoint: o['otel-endpoint'] } : {}), sampleRatio: o['otel-sample-ratio'] };
}

/** A command's tracing from its parsed {@link TRACING_OPTIONS} and the OTEL_* variables; a CliUsageError if invalid. */
export function cliTracing(command: string, o: ParsedOptions<typeof TRACING_OPTIONS>): Tracing | undefined {
  try {
    return startTracing(command, tracingOptions(o));
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
}
