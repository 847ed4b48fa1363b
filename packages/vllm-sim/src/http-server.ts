/**
 * The simulator's HTTP front on node:http, with vLLM's routes:
 *
 *   POST /v1/chat/completions   stream and non-stream
 *   POST /v1/completions        stream and non-stream (text_completion chunks)
 *   GET  /v1/models             vLLM's model card
 *   GET  /health                200 empty body; 503 while the engine is "dead"
 *   GET  /metrics               Prometheus text, vLLM metric names
 *   GET  /load                  {"server_load": N} (vLLM's --enable-server-load-tracking)
 *   POST /reset_prefix_cache    drop the prefix cache (vLLM's dev endpoint; an AllBlocksCleared event)
 *   GET  /sim/state             engine, profile and fault state (simulator only)
 *   POST /sim/faults            change fault injection at run time (simulator only)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiErrors, SimApiError } from './api-errors.js';
import { DEFAULT_SIMULATOR_CORE_OPTIONS, SimulatorCore, type SimulatorCoreOptions } from './core.js';
import type { Engine } from './engine.js';
import { FaultConfigError, type Faults } from './faults.js';
import { withDefaults } from './options.js';
import { KvEventPublisher, resolveKvEventsConfig, type KvEventsConfig } from './kv-events.js';
import { prepareChat, prepareCompletion, type PreparedRequest } from './requests.js';
import { JsonResponder, SSE_HEADERS, StreamResponder } from './responders.js';
import { modelsJson, type ResponseIdentity } from './wire.js';

/**
 * Settings of {@link startSimulator}: the replica's, plus where it listens; defaults in
 * {@link DEFAULT_SIMULATOR_OPTIONS}.
 */
export interface SimulatorOptions extends SimulatorCoreOptions {
  /** Port to listen on; 0 picks a free port. */
  port?: number;
  /** Address to bind. */
  host?: string;
  /**
   * Listen backlog (4096 by default, the usual somaxconn). Node's default of 511 overflows when thousands of
   * streams connect at once, and the kernel then resets connections the client believes are open.
   */
  backlog?: number;
  /** vLLM's `--kv-events-config` (an object or its JSON); events are published while `enable_kv_cache_events`. */
  kvEvents?: Partial<KvEventsConfig> | string;
}

/** The defaults of {@link SimulatorOptions}: those of the core, plus a free port on the loopback address. */
export const DEFAULT_SIMULATOR_OPTIONS: typeof DEFAULT_SIMULATOR_CORE_OPTIONS &
  Required<Pick<SimulatorOptions, 'port' | 'host' | 'backlog'>> = {
  ...DEFAULT_SIMULATOR_CORE_OPTIONS,
  port: 0,
  host: '127.0.0.1',
  backlog: 4096,
};

/** `options` over {@link DEFAULT_SIMULATOR_OPTIONS} (the core's settings are checked when the core is built). */
export function resolveSimulatorOptions(
  options: SimulatorOptions = {},
): SimulatorOptions & typeof DEFAULT_SIMULATOR_OPTIONS {
  return withDefaults(DEFAULT_SIMULATOR_OPTIONS, options);
}

/** A simulated replica serving HTTP, as {@link startSimulator} returns it. */
export interface RunningSimulator {
  /** OpenAI base URL, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  /** Server root (for /health, /metrics, /sim/…), e.g. `http://127.0.0.1:41234`. */
  readonly origin: string;
  readonly port: number;
  readonly host: string;
  /** Served model name. */
  readonly model: string;
  readonly core: SimulatorCore;
  readonly engine: Engine;
  readonly faults: Faults;
  /** The KV event publisher when `kvEvents` is enabled (its bound `endpoint` and `replayEndpoint`). */
  readonly kvEvents: KvEventPublisher | undefined;
  /** Stops accepting, drops open connections, aborts every sequence. */
  close(): Promise<void>;
}

/** Request bodies above this are refused with 413 (prompts are bounded by the context window anyway). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Starts one simulated vLLM replica on its own port. */
export async function startSimulator(simulatorOptions: SimulatorOptions = {}): Promise<RunningSimulator> {
  const options = resolveSimulatorOptions(simulatorOptions);
  const core = new SimulatorCore(options);
  const eventsConfig = resolveKvEventsConfig(options.kvEvents ?? {});
  let kvEvents: KvEventPublisher | undefined;
  if (eventsConfig.enable_kv_cache_events && eventsConfig.publisher === 'zmq') {
    const publisher = (kvEvents = await KvEventPublisher.start(eventsConfig));
    core.engine.observe({ onKvEvents: (events) => publisher.publish(events) });
  }
  const sockets = new Set<Socket>();
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
    handle(core, req, res, () => inFlight, kvEvents).catch((error: unknown) => {
      const apiError =
        error instanceof SimApiError
          ? error
          : ApiErrors.internal(error instanceof Error ? error.message : String(error));
      if (!res.headersSent) sendError(res, apiError);
      else res.destroy();
    });
  });
  // uvicorn's keep-alive timeout in vLLM is 5 s.
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const { host } = options;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, options.backlog, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${hostInUrl}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/v1`,
    origin,
    port,
    host,
    model: core.model,
    core,
    engine: core.engine,
    faults: core.faults,
    kvEvents,
    close() {
      closing ??= new Promise<void>((resolve) => {
        core.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }).then(() => kvEvents?.close());
      return closing;
    },
  };
}

async function handle(
  core: SimulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  load: () => number,
  kvEvents: KvEventPublisher | undefined,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const method = req.method ?? 'GET';
  const route = `${method} ${path}`;
  switch (route) {
    case 'POST /v1/chat/completions':
      return completion(core, req, res, 'chat');
    case 'POST /v1/completions':
      return completion(core, req, res, 'completion');
    case 'GET /v1/models':
      return sendJson(res, 200, modelsJson(core.model, core.profile.maxModelLen, core.createdAt));
    case 'GET /health':
      res.writeHead(core.faults.dead ? 503 : 200, { 'content-length': '0' });
      return void res.end();
    case 'GET /metrics': {
      const text = await core.metrics.text();
      res.writeHead(200, { 'content-type': core.metrics.contentType });
      return void res.end(text);
    }
    case 'GET /load':
      return sendJson(res, 200, JSON.stringify({ server_load: Math.max(0, load() - 1) }));
    case 'POST /reset_prefix_cache': {
      // vLLM answers 200 either way and logs when blocks are still in use.
      const reset = core.engine.resetPrefixCache();
      return sendJson(res, 200, JSON.stringify({ reset }));
    }
    case 'GET /sim/state':
      return sendJson(
        res,
        200,
        JSON.stringify({
          ...core.state(),
          kvEvents: kvEvents
            ? {
                endpoint: kvEvents.endpoint,
                replayEndpoint: kvEvents.replayEndpoint ?? null,
                topic: kvEvents.config.topic,
                encoding: kvEvents.config.encoding,
                published: kvEvents.published,
                dropped: kvEvents.dropped,
              }
            : null,
        }),
      );
    case 'POST /sim/faults': {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
        core.faults.updateFromJson(body);
      } catch (error) {
        if (error instanceof SimApiError) throw error;
        const message =
          error instanceof FaultConfigError ? error.message : 'the body must be a JSON object of fault settings';
        throw ApiErrors.validation(message);
      }
      return sendJson(res, 200, JSON.stringify(core.state()));
    }
    default: {
      const known = [
        '/v1/chat/completions',
        '/v1/completions',
        '/v1/models',
        '/health',
        '/metrics',
        '/load',
        '/reset_prefix_cache',
        '/sim/state',
        '/sim/faults',
      ];
      // FastAPI's answers for unknown routes and wrong methods.
      if (known.includes(path)) return sendJson(res, 405, JSON.stringify({ detail: 'Method Not Allowed' }));
      return sendJson(res, 404, JSON.stringify({ detail: 'Not Found' }));
    }
  }
}

async function completion(
  core: SimulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  kind: 'chat' | 'completion',
): Promise<void> {
  const raw = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw ApiErrors.validation('The request body is not valid JSON.');
  }
  // Injected faults come first: they stand for whatever sits in front of the engine.
  const fault = core.faults.next();
  if (fault.kind === 'dead') throw ApiErrors.engineDead();
  if (fault.kind === 'reject') {
    throw fault.status === 429
      ? ApiErrors.rateLimited(fault.retryAfterSeconds)
      : ApiErrors.overloaded('Service unavailable (injected by llc-vllm-sim).', fault.retryAfterSeconds);
  }
  const prepared: PreparedRequest =
    kind === 'chat' ? prepareChat(body, core.serving) : prepareCompletion(body, core.serving);
  const full = core.queueFull();
  if (full) throw full;

  const header = req.headers['x-request-id'];
  const suffix = typeof header === 'string' && header.length > 0 ? header : randomUUID().replaceAll('-', '');
  const ident: ResponseIdentity = {
    id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${suffix}`,
    created: Math.floor(Date.now() / 1000),
    model: prepared.model,
  };

  if (fault.kind === 'hang') {
    // Headers, then silence until the client gives up: what a wedged engine looks like from outside.
    if (prepared.stream) {
      res.writeHead(200, SSE_HEADERS);
      res.flushHeaders();
    }
    return;
  }
  const failAfter = fault.kind === 'fail' ? fault.afterTokens : undefined;
  const responder = prepared.stream
    ? new StreamResponder(res, prepared, ident, failAfter, core.serving.streamInterval)
    : new JsonResponder(res, prepared, ident, failAfter);
  if (responder instanceof StreamResponder) responder.begin();
  const handle = core.engine.submit(
    {
      id: ident.id,
      promptTokens: prepared.promptTokens,
      promptTokenIds: prepared.promptTokenIds,
      maxTokens: prepared.maxTokens,
      priority: prepared.priority,
      source: prepared.source,
    },
    responder,
  );
  responder.attach(handle);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit, keep reading (and dropping) so the 413 can still be sent on this connection.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES)
        reject(new SimApiError(413, `Request body larger than ${MAX_BODY_BYTES} bytes.`, 'Bad Request'));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, error: SimApiError): void {
  sendJson(res, error.status, error.toJson(), error.headers);
}
