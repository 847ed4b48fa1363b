/**
 * A small "your app" server for the auth end-to-end test, shaped like docs/auth.md's samples: a session cookie
 * from a login, a token endpoint that mints RS256 JWTs for the session's user (only for same-origin JSON posts:
 * the CSRF defence), a JWKS endpoint for the relay, and static files. Signing uses node:crypto, not jose, so the
 * relay's jose verification is checked against tokens it did not make. `rotate()` publishes a new key beside the
 * old one and signs with it from then on.
 */
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize } from 'node:path';

export interface TokenAppOptions {
  issuer: string;
  audience: string;
  /** Served at `/`, `/<name>`: file name → absolute path. */
  files: Record<string, string>;
  /** Token lifetime, seconds. */
  ttlSec?: number;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export interface TokenRequestRecord {
  user: string;
  kid: string;
  body: unknown;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

export class TokenApp {
  readonly issued: TokenRequestRecord[] = [];
  /** When the relay fetched the JWKS (ms since the epoch). */
  readonly jwksFetches: number[] = [];
  private published: SigningKey[] = [newKey()];
  private server?: Server;
  url = '';

  constructor(private readonly options: TokenAppOptions) {}

  get signingKid(): string {
    return this.published.at(-1)!.kid;
  }

  /** Publishes a new key beside the current one and signs with it from now on. */
  rotate(): string {
    this.published.push(newKey());
    return this.signingKid;
  }

  /** An RS256 JWT with the claims the relay reads. */
  mint(user: string, key = this.published.at(-1)!): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: key.kid };
    const claims = {
      sub: user,
      iss: this.options.issuer,
      aud: this.options.audience,
      iat: now,
      exp: now + (this.options.ttlSec ?? 300),
    };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key.privateKey);
    return `${input}.${base64url(signature)}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (path === '/.well-known/jwks.json') {
      this.jwksFetches.push(Date.now());
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify({ keys: this.published.map((k) => k.publicJwk) }));
    } else if (path === '/login') {
      const user = new URL(req.url!, this.url).searchParams.get('user') ?? 'someone';
      // A real app sets an opaque session id; the user name keeps the sample short.
      res.writeHead(302, {
        location: '/',
        'set-cookie': `session=${encodeURIComponent(user)}; HttpOnly; SameSite=Lax; Path=/`,
      });
      res.end();
    } else if (path === '/api/llc-token' && req.method === 'POST') {
      this.token(req, res);
    } else {
      this.file(path, res);
    }
  }

  private token(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const user = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      // CSRF: a cross-site form cannot send application/json without a preflight, and the browser names the origin.
      const sameOrigin = req.headers.origin === undefined || req.headers.origin === this.url;
      if (!user) return void res.writeHead(401).end();
      if (req.headers['content-type'] !== 'application/json' || !sameOrigin) return void res.writeHead(403).end();
      const kid = this.signingKid;
      this.issued.push({ user: decodeURIComponent(user), kid, body: JSON.parse(body || 'null') as unknown });
      const expiresAt = (Math.floor(Date.now() / 1000) + (this.options.ttlSec ?? 300)) * 1000;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ token: this.mint(decodeURIComponent(user)), expiresAt }));
    });
  }

  private file(path: string, res: ServerResponse): void {
    const name = normalize(path === '/' ? 'index.html' : path.slice(1));
    const file = this.options.files[name];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': MIME[extname(name)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  }
}
