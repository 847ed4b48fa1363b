/**
 * Identifiers. Conversation, stream and message ids appear in broker subjects (`llc.tok.<conversationId>`)
 * and in storage keys, so they are restricted to characters that are safe everywhere: `A–Z a–z 0–9 _ -`.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Random bytes drawn from the CSPRNG in blocks: one call per block instead of one per id (~4 µs each on Node). */
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

function randomBytes(n: number): Uint8Array {
  if (poolOffset + n > pool.length) {
    pool = new Uint8Array(POOL_BYTES);
    globalThis.crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

/**
 * A new random id: an optional prefix plus 20 characters of base62 (≈119 bits), using the platform CSPRNG
 * (Web Crypto in browsers and in Node ≥ 19).
 */
export function newId(prefix = ''): string {
  const bytes = randomBytes(20);
  const codes: number[] = [];
  for (let i = 0; i < prefix.length; i++) codes.push(prefix.charCodeAt(i));
  for (const b of bytes) codes.push(ALPHABET.charCodeAt(b % 62));
  // One flat string: `+=` would leave a chain of ~20 cons-strings per id (a server keeps many ids).
  return String.fromCharCode(...codes);
}
