/**
 * The bridge's OpenTelemetry spans: `bridge.generate` per delivery (a child of the relay's answer span, whose
 * context came with the request as NATS headers) and, under it, one client span per backend attempt (`chat
 * <model>`), whose context goes to the backend as the `traceparent` header. Spans per answer and per attempt,
 * never per token; without a tracer (the default) none of this runs.
 */
import { contextFromTrace, type Delivery } from '@locallightchat/broker';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { InferenceError, type InferenceRequest, type Usage } from '../backend.js';
import type { StreamEndFrame } from '@locallightchat/protocol';

/** How an answer or an attempt ended, as far as its span is concerned. */
export type SpanOutcome =
  | { kind: 'done'; finishReason: StreamEndFrame['finishReason'] | 'abort' | 'tool_calls'; usage?: Usage }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'failover'; error: unknown };

/** The span of one delivery, continuing the submitter's trace; undefined without a tracer. */
export function startGenerateSpan(
  tracer: Tracer | undefined,
  delivery: Delivery,
  defaultModel: string,
): Span | undefined {
  if (!tracer) return undefined;
  const req = delivery.request;
  return tracer.startSpan(
    'bridge.generate',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'gen_ai.conversation.id': req.conversationId,
        'llc.stream.id': req.streamId,
        'llc.request.id': req.requestId,
        'gen_ai.request.model': req.model ?? defaultModel,
        'llc.delivery.attempt': delivery.attempt,
      },
    },
    contextFromTrace(delivery.traceContext),
  );
}

/** The client span of one attempt at one backend, a child of `parent`. */
export function startBackendSpan(
  tracer: Tracer | undefined,
  parent: Span | undefined,
  backend: string,
  request: InferenceRequest,
): Span | undefined {
  if (!tracer || !parent) return undefined;
  const model = request.model;
  return tracer.startSpan(
    model ? `chat ${model}` : 'chat',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        ...(model ? { 'gen_ai.request.model': model } : {}),
        'gen_ai.request.max_tokens': request.maxTokens,
        'llc.backend': backend,
        'llc.request.id': request.requestId,
      },
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
}

/** Ends `span` with `outcome`: finish reason and usage, or the error (recorded as an exception). */
export function endSpan(span: Span | undefined, outcome: SpanOutcome, lastSeq?: number): void {
  if (!span) return;
  if (lastSeq !== undefined) span.setAttribute('llc.last_seq', lastSeq);
  switch (outcome.kind) {
    case 'done':
      span.setAttribute('llc.finish_reason', outcome.finishReason);
      if (outcome.usage) {
        span.setAttribute('gen_ai.usage.input_tokens', outcome.usage.promptTokens);
        span.setAttribute('gen_ai.usage.output_tokens', outcome.usage.completionTokens);
      }
      break;
    case 'cancelled':
      span.setAttribute('llc.finish_reason', 'cancelled');
      break;
    case 'failed':
    case 'failover': {
      const error = outcome.error;
      if (outcome.kind === 'failover') span.setAttribute('llc.failover', true);
      if (error instanceof InferenceError) {
        span.setAttribute('error.type', error.kind);
        if (error.details.status !== undefined) span.setAttribute('http.response.status_code', error.details.status);
      }
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      break;
    }
  }
  span.end();
}
