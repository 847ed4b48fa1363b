/**
 * A Bridge on an in-memory broker, with helpers to submit generation requests and collect what the bridge
 * publishes on the conversation (stream-start, queued, token, stream-end).
 */
import { MemoryBroker, type ConversationEvent, type GenerationRequest } from '@locallightchat/broker';
import type { StreamEndFrame } from '@locallightchat/protocol';
import { Bridge } from '../../src/worker/bridge.js';
import type { BridgeOptions } from '../../src/worker/bridge-options.js';
import { BridgeMetrics } from '../../src/worker/bridge-metrics.js';
import type { Router } from '../../src/router.js';

export interface Answer {
  request: GenerationRequest;
  events: ConversationEvent[];
  text: string;
  /** Queue positions reported, in order. */
  positions: number[];
  /** Resolves with the stream-end frame. */
  ended: Promise<StreamEndFrame>;
  /** Resolves when the first token frame arrives. */
  firstToken: Promise<void>;
}

let counter = 0;

export function generationRequest(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  const id = `t${process.pid}x${++counter}`;
  return {
    requestId: `req-${id}`,
    streamId: `str-${id}`,
    conversationId: `conv-${id}`,
    userId: 'user-1',
    replyTo: `msg-${id}`,
    messages: [{ role: 'user', content: `Explain resumable streams, part ${counter}.` }],
    maxTokens: 64,
    priority: 0,
    createdAt: Date.now(),
    ...overrides,
  };
}

export class BridgeHarness {
  readonly broker = new MemoryBroker();
  readonly metrics = new BridgeMetrics();
  readonly bridge: Bridge;
  readonly logs: string[] = [];

  constructor(router: Router, options: Omit<Partial<BridgeOptions>, 'broker' | 'router'> = {}) {
    this.bridge = new Bridge({
      broker: this.broker,
      router,
      metrics: this.metrics,
      log: (m) => void this.logs.push(m),
      ...options,
    });
    this.bridge.start();
  }

  /** Submits a request and follows its conversation. */
  async submit(overrides: Partial<GenerationRequest> = {}): Promise<Answer> {
    const request = generationRequest(overrides);
    const answer = { request, events: [] as ConversationEvent[], text: '', positions: [] as number[] } as Answer;
    let end!: (frame: StreamEndFrame) => void;
    let first!: () => void;
    answer.ended = new Promise((r) => (end = r));
    answer.firstToken = new Promise((r) => (first = r));
    const sub = this.broker.subscribe(request.conversationId, (event) => {
      answer.events.push(event);
      if (event.type === 'token') {
        if (event.seq === 1) first();
        answer.text += event.text;
      } else if (event.type === 'queued') answer.positions.push(event.position);
      else if (event.type === 'stream-end') {
        sub.unsubscribe();
        end(event);
      }
    });
    await this.broker.submit(request);
    return answer;
  }

  /** Sum of a bridge metric's samples whose labels include `labels` (0 when none). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const data = await this.metrics.registry.getSingleMetric(name)?.get();
    const matching = (data?.values ?? []).filter((v) =>
      Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
    );
    return matching.reduce((sum, v) => sum + v.value, 0);
  }

  async close(): Promise<void> {
    await this.bridge.stop(false);
    await this.broker.close();
  }
}
