/**
 * The upload endpoint (with `uploadDir`; see attachments/upload-store.ts), shaped like an object store's
 * presigned uploads so a client written for one works with the other:
 *
 *   POST /uploads            `Authorization: Bearer <token>`, JSON `{name, mediaType, size}` →
 *                            201 `{attachment, uploadUrl}` (400/401/413/415/429 with `{error}` saying why)
 *   PUT  /uploads/<id>?sig=  the file's bytes, exactly the declared size → 200 `{attachment}`
 *                            (400/403/409/413/429 with `{error}`)
 *   GET  /uploads/<id>       the file: images inline with their type, anything else as a download
 *                            (`application/octet-stream`, `Content-Disposition: attachment`), never sniffed
 *                            (`nosniff`), sandboxed by its own CSP
 *
 * Abuse limits (a loop of uploads must not fill the disk), both per user and shared by every relay process:
 * - requests: a presign and a PUT cost one each from the user's `uploadRatePerUser` bucket; past it the answer
 *   is 429 with `Retry-After` (seconds) and `{error, code: 'rate-limited', retryAfterMs}`;
 * - bytes held: `uploadMaxBytesPerUser` (see attachments/upload-store.ts); past it the answer is 413 with
 *   `{error, code: 'upload-quota-exceeded'}` and nothing is stored.
 * While the store cannot be reached, the rate limit lets requests through (as the other abuse limits do) but the
 * byte quota cannot be checked: 503 with `{error, code: 'store-unavailable'}` and `Retry-After`.
 *
 * Every request is counted in `llc_relay_uploads_total{step,result}` (result: ok, refused, rate-limited,
 * over-quota), and every rate-limit or quota refusal is logged with the user.
 */
import { attachmentProblem, type Attachment } from '@locallightchat/protocol';
import { AuthError } from '../auth/authenticator.js';
import { UploadRefused, UploadStore, type UploadRequest } from '../attachments/upload-store.js';
import type { RelayContext } from '../context.js';
import { StoreUnavailableError } from '../store/store.js';
import type { TemplatedApp } from '../uws.js';
import { json, readBody, serveAsync, type Reply } from './respond.js';

const PRESIGN_BODY_LIMIT = 4096;

/** Registers the routes when the relay has an upload store. */
export function registerUploadRoutes(app: TemplatedApp, ctx: RelayContext, uploads: UploadStore): void {
  const base = uploads.basePath;
  const count = (step: string, reply: Answer): Reply => {
    const result = reply.result ?? (reply.status < 300 ? 'ok' : 'refused');
    ctx.metrics.uploads.inc({ step, result });
    if (reply.userId) ctx.log.warn(`upload ${step} refused (${result})`, undefined, { userId: reply.userId });
    return reply;
  };

  app.post(base, (res, req) => {
    const authorization = req.getHeader('authorization');
    serveAsync(res, async () => {
      const body = readBody(res, PRESIGN_BODY_LIMIT);
      return count('presign', await presign(ctx, uploads, authorization, await body));
    });
  });

  app.put(`${base}/:id`, (res, req) => {
    const id = req.getParameter(0) ?? '';
    const sig = new URLSearchParams(req.getQuery() ?? '').get('sig') ?? '';
    serveAsync(res, async () => {
      const body = readBody(res, uploads.options.maxBytes + 1);
      let owner = '';
      try {
        ({ owner } = await uploads.authorize(id, sig));
        const limited = await rateLimited(ctx, owner);
        if (limited) return count('put', limited);
        const record = await uploads.put(id, sig, await body);
        const attachment: Attachment = {
          id: record.id,
          name: record.name,
          mediaType: record.mediaType,
          size: record.size,
          url: `${base}/${record.id}`,
        };
        return count('put', json(200, { attachment }));
      } catch (error) {
        return count('put', refusal(error, owner));
      }
    });
  });

  app.get(`${base}/:id`, (res, req) => {
    const id = req.getParameter(0) ?? '';
    serveAsync(res, async () => {
      const file = await uploads.read(id);
      if (!file) return count('get', json(404, { error: 'no such file' }));
      return count('get', { status: 200, headers: UploadStore.servingHeaders(file.record), body: file.body });
    });
  });
}

async function presign(
  ctx: RelayContext,
  uploads: UploadStore,
  authorization: string,
  body: Uint8Array | undefined,
): Promise<Answer> {
  const token = /^Bearer (.+)$/.exec(authorization)?.[1];
  if (!token)
    return json(401, { error: 'uploads need Authorization: Bearer <token>' }, { 'www-authenticate': 'Bearer' });
  let userId: string;
  try {
    userId = (await ctx.auth.verify(token)).userId;
  } catch (error) {
    return json(401, { error: error instanceof AuthError ? error.message : 'the token is not valid' });
  }
  const limited = await rateLimited(ctx, userId);
  if (limited) return limited;
  if (!body) return json(413, { error: `the request is limited to ${PRESIGN_BODY_LIMIT} bytes` });
  const request = parseRequest(body);
  if (typeof request === 'string') return json(400, { error: request });
  const problem = attachmentProblem({ id: 'x', url: '/x', ...request });
  if (problem) return json(400, { error: problem.replace(/^attachment\./, '') });
  try {
    return json(201, await uploads.presign(userId, request));
  } catch (error) {
    return refusal(error, userId);
  }
}

/** `{name, mediaType, size}` from a JSON body, or why not. */
function parseRequest(body: Uint8Array): UploadRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return 'the body must be JSON: {"name", "mediaType", "size"}';
  }
  const { name, mediaType, size } = (value ?? {}) as Record<string, unknown>;
  if (typeof name !== 'string' || typeof mediaType !== 'string' || typeof size !== 'number')
    return 'the body must be JSON: {"name": string, "mediaType": string, "size": number}';
  return { name, mediaType, size };
}

/** A reply, with what the metric and the log line should say of it. */
type Answer = Reply & { result?: 'rate-limited' | 'over-quota'; userId?: string };

/** The 429 answer when `userId` has used up their upload requests (see the module comment), else undefined. */
async function rateLimited(ctx: RelayContext, userId: string): Promise<Answer | undefined> {
  const refused = await ctx.limits.upload(userId);
  if (!refused) return undefined;
  const retryAfterMs = refused.retryAfterMs ?? 1000;
  const reply = json(
    429,
    { error: 'too many uploads; try again later', code: 'rate-limited', retryAfterMs },
    { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  );
  return { ...reply, result: 'rate-limited', userId };
}

/** The answer to a refused upload of `userId` (named in the log line of a quota refusal). */
function refusal(error: unknown, userId: string): Answer {
  if (error instanceof UploadRefused) {
    const reply = json(
      error.status,
      error.code ? { error: error.message, code: error.code } : { error: error.message },
    );
    return error.code === 'upload-quota-exceeded' ? { ...reply, result: 'over-quota', userId } : reply;
  }
  if (error instanceof StoreUnavailableError)
    return json(
      503,
      { error: 'uploads are unavailable for a moment', code: 'store-unavailable' },
      { 'retry-after': '5' },
    );
  throw error;
}
