/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) carried with a generation request from the relay to
 * the bridge that takes it, so one answer is one trace across processes. The NATS adapter sends it as the
 * message headers `traceparent` and `tracestate` (the names the W3C spec gives HTTP headers, as OpenTelemetry's
 * messaging conventions do); the in-memory adapter hands it over as is.
 *
 * `traceContextOf` and `contextFromTrace` convert between it and OpenTelemetry spans with OpenTelemetry's own
 * W3C propagator (used directly, not through the global API, so no global setup is needed): the relay writes the
 * context of its answer span, the bridge continues it and writes its backend span's context into the HTTP
 * request to vLLM.
 */
import {
  ROOT_CONTEXT,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The two W3C trace-context fields, as the propagator writes them. */
export interface TraceContext {
  /** `version-traceid-parentid-flags`, e.g. `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`. */
  traceparent: string;
  /** Vendor-specific trace state, passed on unchanged. */
  tracestate?: string;
}

/** The spec's longest tracestate is 32 members of ≤ 256 characters; anything longer is not a trace state. */
const MAX_TRACESTATE_CHARS = 8192;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * A trace context read from untrusted headers, or undefined when `traceparent` is missing or malformed (the
 * request is then traced, if at all, as a new trace: a bad header never fails a request).
 */
export function readTraceContext(get: (name: string) => string | undefined): TraceContext | undefined {
  const traceparent = get('traceparent')?.trim().toLowerCase();
  if (!traceparent || !TRACEPARENT.test(traceparent)) return undefined;
  const tracestate = get('tracestate');
  return tracestate && tracestate.length <= MAX_TRACESTATE_CHARS ? { traceparent, tracestate } : { traceparent };
}

const w3c = new W3CTraceContextPropagator();

/**
 * The trace context that makes `span` the parent of the receiver's spans (W3C format, written by
 * OpenTelemetry's propagator); undefined for a span that is not sampled-in or not valid (nothing to continue).
 */
export function traceContextOf(span: Span): TraceContext | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  const traceparent = carrier.traceparent;
  if (!traceparent) return undefined;
  return carrier.tracestate ? { traceparent, tracestate: carrier.tracestate } : { traceparent };
}

/** An OpenTelemetry context whose (remote) parent is `traceContext`; the root context when it is undefined. */
export function contextFromTrace(traceContext: TraceContext | undefined): Context {
  if (!traceContext) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, traceContext, defaultTextMapGetter);
}
