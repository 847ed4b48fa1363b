/**
 * The upload endpoint (with `uploadDir`; see attachments/upload-store.ts), shaped like an object store's
 * presigned uploads so a client written for one works with the other:
 *
 *   POST /uploads            `Authorization: Bearer <token>`, JSON `{name, mediaType, size}` →
 *                            201 `{attachment, uploadUrl}` (400/401/413/415 with `{error}` saying why)
 *   PUT  /uploads/<id>?sig=  the file's bytes, exactly the declared size → 200 `{attachment}`
 *   GET  /uploads/<id>       the file: images inline with their type, anything else as a download
 *                            (`application/octet-stream`, `Content-Disposition: attachment`), never sniffed
 *                            (`nosniff`), sandboxed by its own CSP
 *
 * Every request is counted in `llc_relay_uploads_total{step,result}`.
 */
import { attachmentProblem, type Attachment } from '@locallightchat/protocol';
import { AuthError } from '../auth/authenticator.js';
import { UploadRefused, UploadStore, type UploadRequest } from '../attachments/upload-store.js';
import type { RelayContext } from '../context.js';
import type { TemplatedApp } from '../uws.js';
import { json, readBody, serveAsync, type Reply } from './respond.js';

const PRESIGN_BODY_LIMIT = 4096;

/** Registers the routes when the relay has an upload store. */
export function registerUploadRoutes(app: TemplatedApp, ctx: RelayContext, uploads: UploadStore): void {
  const base = uploads.basePath;
  const count = (step: string, reply: Reply): Reply => {
    ctx.metrics.uploads.inc({ step, result: reply.status < 300 ? 'ok' : 'refused' });
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
      try {
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
        return count('put', refusal(error));
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
): Promise<Reply> {
  const token = /^Bearer (.+)$/.exec(authorization)?.[1];
  if (!token)
    return json(401, { error: 'uploads need Authorization: Bearer <token>' }, { 'www-authenticate': 'Bearer' });
  let userId: string;
  try {
    userId = (await ctx.auth.verify(token)).userId;
  } catch (error) {
    return json(401, { error: error instanceof AuthError ? error.message : 'the token is not valid' });
  }
  if (!body) return json(413, { error: `the request is limited to ${PRESIGN_BODY_LIMIT} bytes` });
  const request = parseRequest(body);
  if (typeof request === 'string') return json(400, { error: request });
  const problem = attachmentProblem({ id: 'x', url: '/x', ...request });
  if (problem) return json(400, { error: problem.replace(/^attachment\./, '') });
  try {
    return json(201, await uploads.presign(userId, request));
  } catch (error) {
    return refusal(error);
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

function refusal(error: unknown): Reply {
  if (error instanceof UploadRefused) return json(error.status, { error: error.message });
  throw error;
}
