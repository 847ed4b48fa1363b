/**
 * Serves a directory (a built chat page) from the relay, so page and WebSocket share one origin (SharedWorker
 * scripts must be same-origin). Files are read once and kept in memory with an ETag; unknown paths fall back
 * to index.html (single-page apps). Paths cannot escape the directory, not even through a symlink (a file is
 * served only when its real path is inside the directory's real path). HTML pages carry a Content-Security-Policy
 * (scripts, styles, workers and connections from this origin only; images from this origin, data: URLs and blob:
 * URLs — the composer's previews of files not uploaded yet, which only the page itself can mint — so model output
 * cannot make the page fetch from other hosts; no framing) and X-Frame-Options.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Reply } from './respond.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The policy of served pages (see the module comment). */
export const PAGE_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Cached {
  body: Uint8Array;
  etag: string;
  type: string;
}

export class StaticFiles {
  private readonly root: string;
  private readonly cache = new Map<string, Cached>();
  private realRoot?: Promise<string>;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  async serve(urlPath: string, ifNoneMatch: string): Promise<Reply> {
    const file = (await this.load(urlPath)) ?? (extname(urlPath) === '' ? await this.load('/index.html') : undefined);
    if (!file) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    if (ifNoneMatch === file.etag) return { status: 304, headers: { etag: file.etag } };
    const immutable = /\/assets\//.test(urlPath);
    return {
      status: 200,
      headers: {
        'content-type': file.type,
        etag: file.etag,
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
        ...(file.type.startsWith('text/html')
          ? { 'content-security-policy': PAGE_SECURITY_POLICY, 'x-frame-options': 'DENY' }
          : {}),
      },
      body: file.body,
    };
  }

  private async load(urlPath: string): Promise<Cached | undefined> {
    let clean: string;
    try {
      clean = normalize(decodeURIComponent(urlPath.split('?')[0] ?? '/')).replace(/^(\.\.[/\\])+/, '');
    } catch {
      return undefined; // malformed %-escape
    }
    const relative = clean === '/' || clean === sep ? '/index.html' : clean;
    const path = join(this.root, relative);
    if (!path.startsWith(this.root + sep)) return undefined;
    const hit = this.cache.get(path);
    if (hit) return hit;
    try {
      const root = await (this.realRoot ??= realpath(this.root));
      if (!(await realpath(path)).startsWith(root + sep)) return undefined;
      if (!(await stat(path)).isFile()) return undefined;
      const body = new Uint8Array(await readFile(path));
      const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      const entry = { body, etag, type: TYPES[extname(path)] ?? 'application/octet-stream' };
      this.cache.set(path, entry);
      return entry;
    } catch {
      return undefined;
    }
  }
}
