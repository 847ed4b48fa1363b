/**
 * JWT authentication with jose: HS256 shared secrets, RS256/ES256 public keys (PEM) or a JWKS URL; issuer and
 * audience checks; `sub` is the user. An optional `llc_conv` claim limits which conversations the token may
 * touch (ids, or prefixes ending in `*`).
 *
 * Dev mode signs short-lived HS256 tokens with a per-process secret, served at POST /auth/dev-token, so the
 * demo runs with real authentication and nothing to configure. Production mode refuses to start without keys.
 */
import {
  SignJWT,
  createRemoteJWKSet,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { randomBytes, type KeyObject } from 'node:crypto';
import { withDefaults } from '../options.js';
import { hs256Key, verifyHs256 } from './hs256.js';

/** How tokens are checked; optional settings without a value take {@link DEFAULT_AUTH_CONFIG}. */
export interface AuthConfig {
  /** `jwt`: verify tokens from your identity provider. `dev`: mint tokens locally (never in production). */
  mode: 'jwt' | 'dev';
  /** HS256 shared secret. */
  secret?: string;
  /** PEM SPKI public key for RS256 or ES256. */
  publicKey?: string;
  /** JWKS endpoint (keys rotated by the identity provider). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Accepted algorithms; default: HS256 with a secret, RS256+ES256 with keys. */
  algorithms?: string[];
  /** Clock skew tolerated on `exp`/`nbf`, seconds. */
  clockToleranceSec?: number;
  /** Lifetime of dev tokens, seconds. */
  devTokenTtlSec?: number;
}

type AuthDefaults = Required<Pick<AuthConfig, 'clockToleranceSec' | 'devTokenTtlSec'>>;

/** The defaults of {@link AuthConfig}'s optional numbers. */
export const DEFAULT_AUTH_CONFIG: AuthDefaults = { clockToleranceSec: 5, devTokenTtlSec: 3600 };

/** An {@link AuthConfig} with its defaults filled in. */
export type ResolvedAuthConfig = Omit<AuthConfig, keyof AuthDefaults> & AuthDefaults;

/** Fills in {@link DEFAULT_AUTH_CONFIG} where `config` leaves a setting out (or `undefined`). */
export function resolveAuthConfig(config: AuthConfig): ResolvedAuthConfig {
  return withDefaults(DEFAULT_AUTH_CONFIG, config);
}

/** Who a connection belongs to. */
export interface Principal {
  userId: string;
  /** Token expiry, ms since epoch (undefined = no `exp`). */
  expiresAt?: number;
  /** Conversation ids or `prefix*` patterns this token may touch; undefined = any the user owns. */
  conversations?: readonly string[];
}

/** A token was refused; `code` is the error code the relay sends to the client. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: 'unauthorized' | 'token-expired',
    message: string,
  ) {
    super(message);
  }
}

/** Raised at start-up when production auth is not configured. */
export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

type Key = Uint8Array | CryptoKey | JWTVerifyGetKey;

/** Verified tokens kept: up to twice this many (two generations, see {@link Authenticator.remember}). */
const CACHE_GENERATION = 5_000;

/**
 * Verifies tokens (and mints them in dev mode). Create one with {@link Authenticator.create}, which refuses a
 * production config without keys; share it between relays of one process.
 */
export class Authenticator {
  /**
   * Tokens verified by jose (RS256, ES256, JWKS: WebCrypto, ~100 µs each) by their exact text: a reconnect to
   * this process re-verifies nothing (expiry is still checked). Two generations instead of one Map evicting its
   * oldest entry: after many deletes at its front, a Map's `keys().next()` walks over the holes they leave, which
   * cost 1.7 % of a relay process in a storm.
   */
  private cache = new Map<string, Principal>();
  private previous = new Map<string, Principal>();
  /** The HS256 secret imported once (when HS256 is accepted). */
  private readonly hs256?: KeyObject;

  private constructor(
    private readonly config: ResolvedAuthConfig,
    private readonly keys: Key[],
    private readonly algorithms: string[],
    private readonly devSecret?: Uint8Array,
  ) {
    const secret = algorithms.includes('HS256')
      ? keys.find((k): k is Uint8Array => k instanceof Uint8Array)
      : undefined;
    if (secret) this.hs256 = hs256Key(secret);
  }

  /** Imports the configured keys; throws {@link AuthConfigError} when production auth is not configured. */
  static async create(options: AuthConfig): Promise<Authenticator> {
    const config = resolveAuthConfig(options);
    if (config.mode === 'dev') {
      const secret = config.secret ? new TextEncoder().encode(config.secret) : new Uint8Array(randomBytes(32));
      return new Authenticator(config, [secret], ['HS256'], secret);
    }
    const keys: Key[] = [];
    const algorithms = config.algorithms ?? [];
    if (config.secret) {
      if (config.secret.length < 32) throw new AuthConfigError('the HS256 secret must be at least 32 characters');
      keys.push(new TextEncoder().encode(config.secret));
      if (!config.algorithms) algorithms.push('HS256');
    }
    if (config.publicKey) {
      const { key, alg } = await importPublicKey(
        config.publicKey,
        config.algorithms?.filter((a) => a !== 'HS256'),
      );
      keys.push(key);
      if (!config.algorithms) algorithms.push(alg);
    }
    if (config.jwksUrl) {
      keys.push(createRemoteJWKSet(new URL(config.jwksUrl)));
      if (!config.algorithms) algorithms.push('RS256', 'ES256');
    }
    if (keys.length === 0) {
      throw new AuthConfigError(
        'production mode needs authentication: set --auth-jwt-secret, --auth-public-key-file or --auth-jwks-url ' +
          '(or run with --dev for local development only)',
      );
    }
    return new Authenticator(config, keys, [...new Set(algorithms)]);
  }

  get isDev(): boolean {
    return this.config.mode === 'dev';
  }

  /** Verifies a token; throws {@link AuthError}. */
  async verify(token: string): Promise<Principal> {
    const cached = this.cache.get(token) ?? this.previous.get(token);
    if (cached) {
      if (cached.expiresAt !== undefined && cached.expiresAt <= Date.now()) {
        this.cache.delete(token);
        this.previous.delete(token);
        throw new AuthError('token-expired', 'the token has expired');
      }
      return cached;
    }
    const secret = this.hs256;
    if (secret) {
      const rules = {
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockToleranceSec: this.config.clockToleranceSec,
      };
      const outcome = verifyHs256(token, secret, rules);
      if (outcome.kind === 'expired') throw new AuthError('token-expired', 'the token has expired');
      if (outcome.kind === 'invalid') throw new AuthError('unauthorized', `invalid token: ${outcome.reason}`);
      // Not cached: verifying costs a few µs here, less than keeping the ~200-byte token and its principal alive
      // per connection (memory, and the young-generation GC copying them; bench/results/2026-12-05).
      if (outcome.kind === 'valid') return toPrincipal(outcome.payload);
    }
    let lastError: unknown;
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key as Uint8Array, {
          algorithms: this.algorithms,
          issuer: this.config.issuer,
          audience: this.config.audience,
          clockTolerance: this.config.clockToleranceSec,
        });
        const principal = toPrincipal(payload);
        this.remember(token, principal);
        return principal;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new AuthError('token-expired', 'the token has expired');
        if (error instanceof AuthError) throw error;
        lastError = error;
      }
    }
    throw new AuthError('unauthorized', `invalid token: ${describe(lastError)}`);
  }

  /** Mints a token for `userId` (dev mode only). */
  async mintDevToken(userId: string): Promise<{ token: string; expiresAt: number }> {
    if (!this.devSecret) throw new AuthConfigError('dev tokens are only available in dev mode');
    const ttl = this.config.devTokenTtlSec;
    const expiresAt = (Math.floor(Date.now() / 1000) + ttl) * 1000;
    let jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(expiresAt / 1000);
    if (this.config.issuer) jwt = jwt.setIssuer(this.config.issuer);
    if (this.config.audience) jwt = jwt.setAudience(this.config.audience);
    return { token: await jwt.sign(this.devSecret), expiresAt };
  }

  private remember(token: string, principal: Principal): void {
    if (this.cache.size >= CACHE_GENERATION) {
      this.previous = this.cache;
      this.cache = new Map();
    }
    this.cache.set(token, principal);
  }
}

/** Imports a PEM public key with the first algorithm that accepts it (RSA → RS256, EC P-256 → ES256). */
async function importPublicKey(pem: string, candidates = ['RS256', 'ES256']): Promise<{ key: CryptoKey; alg: string }> {
  for (const alg of candidates) {
    try {
      return { key: await importSPKI(pem, alg), alg };
    } catch {
      // try the next algorithm
    }
  }
  throw new AuthConfigError(`cannot import the public key as any of ${candidates.join(', ')} (is it a PEM SPKI key?)`);
}

function toPrincipal(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) {
    throw new AuthError('unauthorized', 'the token has no usable `sub` claim');
  }
  const conv = payload['llc_conv'];
  if (conv !== undefined && !(Array.isArray(conv) && conv.every((c) => typeof c === 'string'))) {
    throw new AuthError('unauthorized', 'the `llc_conv` claim must be an array of strings');
  }
  return {
    userId: payload.sub,
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    conversations: conv,
  };
}

/** Whether a principal's token allows a conversation (ownership is checked separately, in the store). */
export function tokenAllows(principal: Principal, conversationId: string): boolean {
  if (!principal.conversations) return true;
  return principal.conversations.some((p) =>
    p.endsWith('*') ? conversationId.startsWith(p.slice(0, -1)) : p === conversationId,
  );
}

function describe(error: unknown): string {
  if (error instanceof joseErrors.JOSEError) return error.code;
  return error instanceof Error ? error.message : 'verification failed';
}
