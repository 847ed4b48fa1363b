/**
 * HS256 verification on node:crypto — the fast path for shared-secret tokens.
 *
 * Why not jose here: jose verifies through WebCrypto, whose async HMAC costs ~120 µs of CPU per token on this
 * machine against ~8 µs for node:crypto's (bench/idle: accepting a connection with a JWT must stay within 2× a
 * raw uWS accept, ~70 µs). jose still handles RS256/ES256/JWKS and every token this path does not accept
 * outright: anything but a plain HS256 compact JWS falls through to it.
 *
 * Checks, as jwtVerify does them: header `alg` exactly HS256 and no `crit`; signature (constant-time);
 * `exp` and `nbf` with the clock tolerance; `iss` and `aud` when configured.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';

/**
 * The HMAC key, imported once: createHmac with raw bytes imports the key on every call, which was half of the
 * HMAC's cost (4.7 → 2.3 µs per token in a loop; bench/results/2026-12-05/accept-path.md).
 */
export function hs256Key(secret: Uint8Array): KeyObject {
  return createSecretKey(secret);
}

/**
 * Header segments already checked (alg HS256, no crit), by their exact text: a server sees one or a few
 * distinct headers, so decoding and parsing the same JSON for every token is waste. The verdict depends on the
 * text alone; bounded, so a client sending many distinct headers only fills it and then misses.
 */
const goodHeaders = new Set<string>();
const GOOD_HEADERS_MAX = 16;

export type Hs256Outcome =
  | { kind: 'valid'; payload: JWTPayload }
  | { kind: 'expired' }
  | { kind: 'invalid'; reason: string }
  /** Not a plain HS256 token: let jose decide. */
  | { kind: 'not-hs256' };

export interface ClaimRules {
  issuer?: string;
  audience?: string;
  clockToleranceSec: number;
}

export function verifyHs256(
  token: string,
  secret: Uint8Array | KeyObject,
  rules: ClaimRules,
  nowMs = Date.now(),
): Hs256Outcome {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return { kind: 'not-hs256' };
  const headerText = token.slice(0, first);
  if (!goodHeaders.has(headerText)) {
    let header: { alg?: unknown; crit?: unknown };
    try {
      header = JSON.parse(Buffer.from(headerText, 'base64url').toString('utf8')) as typeof header;
    } catch {
      return { kind: 'not-hs256' };
    }
    if (header === null || typeof header !== 'object' || header.alg !== 'HS256' || header.crit !== undefined)
      return { kind: 'not-hs256' };
    if (goodHeaders.size < GOOD_HEADERS_MAX) goodHeaders.add(headerText);
  }

  // Only the canonical (unpadded) base64url text of the digest is accepted — Node's decoder would skip padding,
  // junk and unused low bits — so one signature has exactly one token (no malleability). Comparing that text
  // with the given one does both checks at once, with no decode and no buffers.
  const expected = createHmac('sha256', secret).update(token.slice(0, second)).digest('base64url');
  if (!constantTimeEqual(expected, token, second + 1))
    return { kind: 'invalid', reason: 'signature verification failed' };
  let payload: JWTPayload;

  try {
    payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as JWTPayload;
  } catch {
    return { kind: 'invalid', reason: 'the payload is not JSON' };
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return { kind: 'invalid', reason: 'the payload is not a JSON object' };
  const now = Math.floor(nowMs / 1000);
  const tolerance = rules.clockToleranceSec;
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== 'number') return { kind: 'invalid', reason: '"exp" claim must be a number' };
    if (payload.exp <= now - tolerance) return { kind: 'expired' };
  }
  if (payload.nbf !== undefined) {
    if (typeof payload.nbf !== 'number') return { kind: 'invalid', reason: '"nbf" claim must be a number' };
    if (payload.nbf > now + tolerance) return { kind: 'invalid', reason: '"nbf" claim timestamp check failed' };
  }
  if (payload.iat !== undefined && typeof payload.iat !== 'number')
    return { kind: 'invalid', reason: '"iat" claim must be a number' };
  if (rules.issuer !== undefined && payload.iss !== rules.issuer)
    return { kind: 'invalid', reason: 'unexpected "iss" claim value' };
  if (rules.audience !== undefined) {
    const aud = payload.aud;
    const ok = typeof aud === 'string' ? aud === rules.audience : Array.isArray(aud) && aud.includes(rules.audience);
    if (!ok) return { kind: 'invalid', reason: 'unexpected "aud" claim value' };
  }
  return { kind: 'valid', payload };
}

/**
 * Whether `text.slice(from)` equals `expected`, in time that depends on the lengths only (never on where the
 * first difference is): the XOR of every pair of characters is accumulated, with no early exit.
 */
export function constantTimeEqual(expected: string, text: string, from: number): boolean {
  if (text.length - from !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ text.charCodeAt(from + i);
  return diff === 0;
}
