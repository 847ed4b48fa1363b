// What the plain peers share so that the relay's readers and load generators drive them: the HS256 check of a
// JWT (on node:crypto, as a hand-rolled server would do it; the Socket.IO server uses it too) and the frames of
// the relay's wire protocol they answer hello and subscribe with.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { encodeFrame } from '@locallightchat/protocol';

export const LIMITS = { maxFrameBytes: 128 * 1024, maxTextChars: 32_000 };

/** The token's claims when its HS256 signature matches `secret` and it has not expired; else undefined. */
export function verifyHs256(token, secret) {
  const [h, p, s] = String(token ?? '').split('.');
  if (!h || !p || !s) return undefined;
  const mac = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== mac.length || !timingSafeEqual(given, mac)) return undefined;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return typeof claims.exp === 'number' && claims.exp * 1000 < Date.now() ? undefined : claims;
}

export const welcome = (sessionId, userId) =>
  encodeFrame({
    type: 'welcome',
    v: 1,
    sessionId,
    userId,
    heartbeatMs: 25_000,
    maxFrameBytes: LIMITS.maxFrameBytes,
    maxTextChars: LIMITS.maxTextChars,
  });

export const subscribed = (conversationId) => encodeFrame({ type: 'subscribed', conversationId, streams: [] });
