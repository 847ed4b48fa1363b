/**
 * The relay's plain HTTP routes:
 *
 *   GET  /healthz         the process is up
 *   GET  /readyz          broker and store connected, not draining and not at capacity (load balancers route on this)
 *   GET  /metrics         Prometheus (production mode: only with `Authorization: Bearer <metricsToken>`)
 *   POST /auth/dev-token  dev mode only: mints a token for `{ "user": "…" }`
 *   /uploads              the upload endpoint, with `uploadDir` (see uploads.ts)
 *   GET  /*               static files, when a directory is configured (else 404); other methods 405
 *
 * Registered after the WebSocket and SSE routes, so the catch-all routes come last.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ConnectionRegistry } from '../connection/connection-registry.js';
import type { RelayContext } from '../context.js';
import type { HttpResponse, TemplatedApp } from '../uws.js';
import { CORS, json, readBody, serveAsync, writeReply, type Reply } from './respond.js';
import { StaticFiles } from './static-files.js';
import { registerUploadRoutes } from './uploads.js';

/** A dev-token request is `{"user":"…"}`: a few bytes. */
const DEV_TOKEN_BODY_LIMIT = 4096;

export function registerHttpRoutes(
  app: TemplatedApp,
  ctx: RelayContext,
  connections: Pick<ConnectionRegistry, 'full'>,
): void {
  const { config, metrics, broker, store } = ctx;
  app.get('/healthz', (res) => writeReply(res, { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }));
  app.get('/readyz', (res) => {
    // A full process is up but takes no one new: a balancer should send new clients elsewhere.
    const full = connections.full;
    const checks = { broker: broker.status, store: store.status, draining: ctx.draining, atCapacity: full };
    const ready = broker.status === 'connected' && store.status === 'connected' && !ctx.draining && !full;
    writeReply(res, json(ready ? 200 : 503, { ready, ...checks }));
  });
  app.get('/metrics', (res, req) => {
    const refusal = metricsRefusal(ctx, req.getHeader('authorization'));
    if (refusal) return writeReply(res, refusal);
    serveAsync(res, async () => ({
      status: 200,
      headers: { 'content-type': metrics.registry.contentType },
      body: await metrics.registry.metrics(),
    }));
  });

  app.options('/auth/dev-token', (res) =>
    writeReply(res, { status: 204, headers: { ...CORS, 'access-control-allow-methods': 'POST' } }),
  );
  app.post('/auth/dev-token', (res) => serveDevToken(res, ctx));

  if (ctx.uploads) registerUploadRoutes(app, ctx, ctx.uploads);

  const files = config.staticDir ? new StaticFiles(config.staticDir) : undefined;
  app.get('/*', (res, req) => {
    if (!files) return writeReply(res, json(404, { error: 'not found' }));
    const url = req.getUrl();
    const etag = req.getHeader('if-none-match');
    serveAsync(res, () => files.serve(url, etag));
  });
  app.any('/*', (res) => writeReply(res, json(405, { error: 'method not allowed' })));
}

/**
 * Why `/metrics` is not served on the client port, or undefined when it is: in dev mode it is open; in
 * production it needs the configured bearer token (and without one it is not served there at all: the metrics
 * name internal state an internet client should not see; the supervisor's `--metrics-port` serves them apart).
 */
function metricsRefusal({ auth, config }: RelayContext, authorization: string): Reply | undefined {
  if (auth.isDev) return undefined;
  if (config.metricsToken === undefined) {
    return json(404, { error: 'metrics are not served on the client port in production: set a metrics token' });
  }
  const expected = Buffer.from(`Bearer ${config.metricsToken}`);
  const given = Buffer.from(authorization);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ...json(401, { error: 'metrics need the bearer token' }), headers: { 'www-authenticate': 'Bearer' } };
  }
  return undefined;
}

/** POST /auth/dev-token: a token for the named user (or a random one), in dev mode only. */
function serveDevToken(res: HttpResponse, { auth }: RelayContext): void {
  if (!auth.isDev) return writeReply(res, json(404, { error: 'dev tokens are disabled (production mode)' }));
  serveAsync(res, async () => {
    const body = await readBody(res, DEV_TOKEN_BODY_LIMIT);
    let user: unknown;
    try {
      user =
        body && body.byteLength
          ? (JSON.parse(Buffer.from(body).toString('utf8')) as { user?: unknown }).user
          : undefined;
    } catch {
      return json(400, { error: 'body must be JSON: {"user":"name"}' }, CORS);
    }
    if (user !== undefined && (typeof user !== 'string' || !/^[\w.@-]{1,64}$/.test(user))) {
      return json(400, { error: 'user must be 1-64 characters of letters, digits, _ . @ -' }, CORS);
    }
    const userId = user ?? `dev-${Math.random().toString(36).slice(2, 10)}`;
    return json(200, { userId, ...(await auth.mintDevToken(userId)) }, CORS);
  });
}
