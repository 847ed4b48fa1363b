/**
 * OpenTelemetry traces of one answer across processes: llc-relay (--otel-endpoint) → NATS (W3C trace context in
 * the work queue message's headers) → llc-bridge (the standard OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_SERVICE_NAME)
 * → the HTTP request to the simulator (`traceparent` header, seen by a recording proxy in front of it). The spans
 * are collected by a local OTLP/HTTP receiver that decodes the JSON encoding, and the tree is checked: one trace,
 * relay span → bridge span → backend client span, ids and model attributes, one span per answer per tier (the
 * answers have many token batches), and errors recorded when the backend fails mid-answer.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startNats, startProcess, type StartedProcess } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startSimulator } from '@locallightchat/vllm-sim';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const relayCli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const bridgeCli = ['--conditions=llc-source', '--import', 'tsx', 'packages/inference-bridge/src/cli/bridge-cli.ts'];

/** OTLP/JSON shapes (opentelemetry-proto, JSON encoding: ids as hex strings, enums as numbers). */
interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: KeyValue[];
  events?: { name: string; attributes?: KeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface ExportRequest {
  resourceSpans: {
    resource: { attributes: KeyValue[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}
/** A received span with its service and scope. */
interface Received extends OtlpSpan {
  service: string;
  scope: string;
  attrs: Record<string, string | number | boolean | undefined>;
}

const SPAN_KIND = { SERVER: 2, CLIENT: 3, CONSUMER: 5 } as const;
const STATUS_ERROR = 2;

function flatten(attributes: KeyValue[] = []): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
        value.boolValue ??
        value.doubleValue,
    ]),
  );
}

/** A local OTLP/HTTP receiver: decodes every JSON export request it gets on /v1/traces. */
async function startReceiver(): Promise<{
  url: string;
  spans: Received[];
  contentTypes: Set<string>;
  close(): Promise<void>;
}> {
  const spans: Received[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.add(String(req.headers['content-type']));
      const parsed = JSON.parse(body) as ExportRequest;
      for (const rs of parsed.resourceSpans) {
        const service = String(flatten(rs.resource.attributes)['service.name']);
        for (const ss of rs.scopeSpans)
          for (const span of ss.spans)
            spans.push({ ...span, service, scope: ss.scope.name, attrs: flatten(span.attributes) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await listen(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => close(server),
  };
}

/** A proxy in front of the simulator that records each request's headers (what vLLM would receive). */
async function startRecordingProxy(
  target: URL,
): Promise<{ port: number; headers: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    headers.push(req.headers);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await listen(server);
  return { port: (server.address() as AddressInfo).port, headers, close: () => close(server) };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}
function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('OpenTelemetry traces across relay → NATS → bridge → backend', () => {
  it('one trace per answer: relay span → bridge span → backend client span, errors recorded', async () => {
    const receiver = await startReceiver();
    const nats = await startNats();
    const sim = await startSimulator({ profile: 'fast' });
    const simUrl = new URL(sim.url);
    const proxy = await startRecordingProxy(simUrl);
    const model = ((await (await fetch(`${sim.url}/models`)).json()) as { data: { id: string }[] }).data[0]!.id;
    let bridge: StartedProcess | undefined;
    let relay: StartedProcess | undefined;
    try {
      bridge = await startProcess(
        process.execPath,
        [...bridgeCli, '--broker', nats.url, '--backend-url', `http://127.0.0.1:${proxy.port}${simUrl.pathname}`],
        {
          cwd: root,
          // The standard OpenTelemetry variables (what a collector's injector sets).
          env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'bridge-under-test' },
          ready: /llc-bridge ready/,
          timeoutMs: 120_000,
        },
      );
      assert.match(
        bridge.output(),
        /tracing: OTLP spans to http:\/\/127\.0\.0\.1:\d+\/v1\/traces as bridge-under-test/,
      );
      relay = await startProcess(
        process.execPath,
        [
          relayCli,
          '--dev',
          '--port',
          '0',
          '--broker',
          nats.url,
          '--bridge',
          'none',
          '--model',
          model,
          '--otel-endpoint',
          receiver.url,
        ],
        {
          cwd: root,
          env: { LLC_DEV: '', OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_SERVICE_NAME: undefined },
          ready: /llc-relay listening on (http:\/\/\S+) \(WebSocket (ws:\/\/\S+);/,
          timeoutMs: 120_000,
        },
      );
      const httpUrl = relay.match[1]!;
      const minted = await fetch(`${httpUrl}/auth/dev-token`, {
        method: 'POST',
        body: JSON.stringify({ user: 'tracer' }),
      });
      const { token } = (await minted.json()) as { token: string };
      const client = await ProtocolClient.connect(relay.match[2]!, token);

      // A whole answer.
      client.send({
        type: 'send',
        clientMessageId: 'trace-ok',
        conversationId: 'trace-conv',
        text: 'Tell me a long story',
      });
      const okAck = await client.next('ack', 0, 30_000);
      const { end: okEnd } = await client.streamText(okAck.streamId);
      assert.equal(okEnd.finishReason, 'stop');

      // An answer the backend breaks after its first tokens (an error inside the 200 stream).
      sim.faults.update({ failNext: 1, failAfterTokens: 3 });
      const mark = client.frames.length;
      client.send({ type: 'send', clientMessageId: 'trace-fail', conversationId: 'trace-conv', text: 'Again' });
      const failAck = await client.next('ack', mark, 30_000);
      const { end: failEnd } = await client.streamText(failAck.streamId);
      assert.equal(failEnd.finishReason, 'error');
      client.ws.close();

      const spansOf = (streamId: string) => {
        const relaySpans = receiver.spans.filter(
          (s) => s.attrs['llc.stream.id'] === streamId && s.service === 'llc-relay',
        );
        const bridgeSpans = receiver.spans.filter(
          (s) => s.attrs['llc.stream.id'] === streamId && s.service === 'bridge-under-test',
        );
        const traceIds = new Set([...relaySpans, ...bridgeSpans].map((s) => s.traceId));
        const backendSpans = receiver.spans.filter((s) => s.kind === SPAN_KIND.CLIENT && traceIds.has(s.traceId));
        return relaySpans.length && bridgeSpans.length && backendSpans.length
          ? { relaySpans, bridgeSpans, backendSpans, traceIds }
          : undefined;
      };

      for (const [ack, failed] of [
        [okAck, false],
        [failAck, true],
      ] as const) {
        const { relaySpans, bridgeSpans, backendSpans, traceIds } = await eventually(
          () => spansOf(ack.streamId),
          `the spans of ${ack.streamId}`,
        );
        // Spans per answer, not per token: one of each, however many batches the answer had.
        assert.equal(relaySpans.length, 1, 'one relay span per answer');
        assert.equal(bridgeSpans.length, 1, 'one bridge span per answer');
        assert.equal(backendSpans.length, 1, 'one backend request span per answer');
        assert.equal(traceIds.size, 1, 'relay and bridge spans share one trace id');
        const [r, b, c] = [relaySpans[0]!, bridgeSpans[0]!, backendSpans[0]!];
        assert.match(r.traceId, /^[0-9a-f]{32}$/);
        assert.equal(c.traceId, r.traceId);

        // The tree: relay span (root) → bridge span (through the NATS headers) → backend client span.
        assert.equal(r.parentSpanId || undefined, undefined, 'the relay span is the root');
        assert.equal(r.kind, SPAN_KIND.SERVER);
        assert.equal(r.name, 'relay.answer');
        assert.equal(b.parentSpanId, r.spanId, 'the bridge span is a child of the relay span');
        assert.equal(b.kind, SPAN_KIND.CONSUMER);
        assert.equal(b.name, 'bridge.generate');
        assert.equal(c.parentSpanId, b.spanId, 'the backend span is a child of the bridge span');
        assert.equal(c.service, 'bridge-under-test');
        assert.equal(c.name, `chat ${model}`);

        // What vLLM received: traceparent naming the backend span as its parent.
        const requestId = b.attrs['llc.request.id'];
        const sent = proxy.headers.filter((h) => h['x-request-id'] === requestId);
        assert.equal(sent.length, 1, `one request to the backend with X-Request-Id ${String(requestId)}`);
        assert.equal(sent[0]!.traceparent, `00-${r.traceId}-${c.spanId}-01`);

        // Attributes: conversation, stream, request ids and the model on each tier.
        for (const s of [r, b]) {
          assert.equal(s.attrs['gen_ai.conversation.id'], 'trace-conv');
          assert.equal(s.attrs['llc.stream.id'], ack.streamId);
          assert.equal(s.attrs['llc.request.id'], requestId);
          assert.equal(s.attrs['gen_ai.request.model'], model);
        }
        assert.equal(c.attrs['gen_ai.request.model'], model);
        assert.equal(c.attrs['llc.request.id'], requestId);
        assert.ok(typeof requestId === 'string' && requestId.length > 0);
        assert.ok(
          c.events?.some((e) => e.name === 'first token'),
          'the backend span marks the first token',
        );

        // The relay span covers the client's send to the stream's end, around the bridge's work.
        assert.ok(BigInt(r.startTimeUnixNano) <= BigInt(b.startTimeUnixNano));
        assert.ok(BigInt(r.endTimeUnixNano) >= BigInt(c.endTimeUnixNano));

        if (!failed) {
          for (const s of [r, b, c]) assert.notEqual(s.status?.code, STATUS_ERROR, `${s.name} succeeded`);
          assert.equal(r.attrs['llc.finish_reason'], 'stop');
          assert.equal(b.attrs['llc.finish_reason'], 'stop');
          // Many tokens, still one span per tier (checked above): spans per answer, not per token.
          assert.ok(Number(c.attrs['gen_ai.usage.output_tokens']) >= 10, 'usage on the backend span');
          assert.equal(b.attrs['gen_ai.usage.output_tokens'], c.attrs['gen_ai.usage.output_tokens']);
        } else {
          for (const s of [r, b, c]) assert.equal(s.status?.code, STATUS_ERROR, `${s.name} records the failure`);
          assert.equal(r.attrs['llc.finish_reason'], 'error');
          assert.equal(r.attrs['error.type'], failEnd.errorCode);
          assert.equal(c.attrs['error.type'], 'server');
          for (const s of [b, c])
            assert.ok(
              s.events?.some((e) => e.name === 'exception'),
              `${s.name} has the exception`,
            );
        }
      }
      assert.deepEqual([...receiver.contentTypes], ['application/json'], 'OTLP/HTTP with the JSON encoding');
    } finally {
      await relay?.stop();
      await bridge?.stop();
      await proxy.close();
      await sim.close();
      await nats.stop();
      await receiver.close();
    }
  });
});
