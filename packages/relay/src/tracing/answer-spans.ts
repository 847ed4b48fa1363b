/**
 * The relay's OpenTelemetry span of each answer: from the client's `send` frame to the answer's `stream-end`
 * passing through this node. Its context goes to the bridge with the generation request (the broker carries it
 * as W3C trace-context headers), so the bridge's span and the bridge's request to vLLM join the same trace.
 *
 * One span per answer, started when a message is handed to the broker and ended by the hub when the stream-end
 * passes: token batches never touch this code. Without a tracer (tracing off, the default) every method returns
 * at its first line.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { traceContextOf, type TraceContext } from '@locallightchat/broker';
import type { StreamEndFrame } from '@locallightchat/protocol';

/** Spans still open this long after they started are ended as unfinished (no generation runs that long). */
export const DEFAULT_ANSWER_SPAN_MAX_AGE_MS = 30 * 60_000;

/** What the relay knows about an answer when it hands the request to the broker. */
export interface AnswerSpanStart {
  conversationId: string;
  streamId: string;
  /** The generation request's id (its idempotency key, derived from the user and the client message id). */
  requestId: string;
  model?: string;
  /** When the `send` frame arrived (ms since the epoch): the span's start. */
  startTime: number;
}

export class AnswerSpans {
  private readonly open = new Map<string, { span: Span; startedAt: number }>();

  constructor(
    private readonly tracer: Tracer | undefined,
    private readonly maxAgeMs = DEFAULT_ANSWER_SPAN_MAX_AGE_MS,
  ) {}

  /** Whether spans are recorded (a tracer was given). */
  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** Spans waiting for their stream-end. */
  get size(): number {
    return this.open.size;
  }

  /** Opens the answer's span; returns the trace context to submit with the request (undefined when off). */
  start(answer: AnswerSpanStart): TraceContext | undefined {
    if (!this.tracer) return undefined;
    this.finish(answer.streamId, (span) => span.setAttribute('llc.superseded', true));
    const span = this.tracer.startSpan('relay.answer', {
      kind: SpanKind.SERVER,
      startTime: answer.startTime,
      attributes: {
        'gen_ai.conversation.id': answer.conversationId,
        'llc.stream.id': answer.streamId,
        'llc.request.id': answer.requestId,
        ...(answer.model !== undefined ? { 'gen_ai.request.model': answer.model } : {}),
      },
    });
    this.open.set(answer.streamId, { span, startedAt: Date.now() });
    return traceContextOf(span);
  }

  /** The request could not be handed over: the span ends with the error. */
  failed(streamId: string, error: unknown): void {
    if (!this.tracer) return;
    this.finish(streamId, (span) => {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    });
  }

  /** The answer's stream-end passed through this node: the span ends with its outcome. */
  end(frame: StreamEndFrame): void {
    if (!this.tracer) return;
    this.finish(frame.streamId, (span) => {
      span.setAttribute('llc.finish_reason', frame.finishReason);
      span.setAttribute('llc.last_seq', frame.lastSeq);
      if (frame.usage) {
        span.setAttribute('gen_ai.usage.input_tokens', frame.usage.promptTokens);
        span.setAttribute('gen_ai.usage.output_tokens', frame.usage.completionTokens);
      }
      if (frame.finishReason === 'error') {
        if (frame.errorCode !== undefined) span.setAttribute('error.type', frame.errorCode);
        span.setStatus({ code: SpanStatusCode.ERROR, message: frame.errorMessage ?? frame.errorCode ?? 'error' });
      }
    });
  }

  /** Ends spans whose stream-end never came (this node lost the conversation) after the maximum age. */
  sweep(now = Date.now()): void {
    for (const [streamId, { startedAt }] of this.open)
      if (now - startedAt > this.maxAgeMs) this.finish(streamId, (span) => span.setAttribute('llc.unfinished', true));
  }

  /** Ends every open span (the relay is closing). */
  endAll(): void {
    for (const streamId of [...this.open.keys()])
      this.finish(streamId, (span) => span.setAttribute('llc.unfinished', true));
  }

  private finish(streamId: string, annotate: (span: Span) => void): void {
    const entry = this.open.get(streamId);
    if (!entry) return;
    this.open.delete(streamId);
    annotate(entry.span);
    entry.span.end();
  }
}
