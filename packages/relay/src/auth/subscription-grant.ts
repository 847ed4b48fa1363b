/**
 * Subscription grants: a relay-signed note "user U owned conversation C, valid until T", sent with `subscribed`
 * and shown back in a later `subscribe`, so that a client coming back after a reconnect re-joins its
 * conversations without a Store read.
 *
 * Why: in a reconnect storm every moved tab re-subscribes its conversations, and the ownership check was the one
 * Store read left per client (bench/idle/run-resume-storm.mjs: 10,000 reads of Redis in the storm's first
 * seconds, the survivor waiting on each). A grant is checked with one HMAC (~2 µs) in the relay itself.
 *
 * What a grant may not do: it never claims (a conversation no one owns is claimed through the Store as before),
 * it is bound to the user and the conversation, and it expires (`grantTtlMs`). A subscribe admitted by a grant
 * gets no new one, so ownership is read from the Store again at least once per lifetime — a grant cannot be
 * renewed forever without that read. A grant outlives a deletion of its conversation for at most its lifetime;
 * since conversation ids are random and private to their owner, what that allows is subscribing to an empty
 * conversation (or one its holder shared the id of). A grant that does not verify (forged, expired, signed by a
 * relay with another secret) is no error: the relay reads the Store instead.
 *
 * Format: `<expiry ms, base 36>.<HMAC-SHA256 over expiry, user and conversation, first 16 bytes, base64url>`.
 * The MAC key is derived from the secret with a label, so a secret shared with the HS256 token check (the CLI's
 * default) never makes a grant's MAC valid as a token signature or the reverse.
 */
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { HARD_LIMITS } from '@locallightchat/protocol';
import { constantTimeEqual } from './hs256.js';

/** Characters of the MAC part: 16 bytes in base64url. */
const MAC_CHARS = 22;

/** Issues and checks subscription grants (see the module comment). */
export class SubscriptionGrants {
  private readonly key: KeyObject;

  /**
   * `secret`: shared by every relay process that should accept each other's grants (undefined = random for this
   * process only; other processes then read the Store instead). `ttlMs` 0 turns grants off.
   */
  constructor(
    secret: string | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    const material = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
    this.key = createSecretKey(createHmac('sha256', material).update('llc subscription grant v1').digest());
  }

  /** A grant for `userId` on `conversationId`, or undefined when grants are off. */
  issue(userId: string, conversationId: string): string | undefined {
    if (this.ttlMs <= 0) return undefined;
    const expiry = (this.now() + this.ttlMs).toString(36);
    return `${expiry}.${this.mac(expiry, userId, conversationId)}`;
  }

  /** Whether `grant` was issued (with this secret) to `userId` for `conversationId` and has not expired. */
  verify(grant: string, userId: string, conversationId: string): boolean {
    if (this.ttlMs <= 0 || grant.length > HARD_LIMITS.grantChars) return false;
    const dot = grant.indexOf('.');
    if (dot < 1 || grant.length - dot - 1 !== MAC_CHARS) return false;
    const expiry = grant.slice(0, dot);
    const expiresAt = parseInt(expiry, 36);
    // Only the canonical text of the expiry (no sign, leading zeros or junk parseInt would skip) is accepted.
    if (!(expiresAt > this.now()) || expiresAt.toString(36) !== expiry) return false;
    return constantTimeEqual(this.mac(expiry, userId, conversationId), grant, dot + 1);
  }

  private mac(expiry: string, userId: string, conversationId: string): string {
    // NUL separators, unambiguous: neither the expiry (base 36) nor the conversation id (protocol ids are
    // [A-Za-z0-9_-]) holds one, so the user id is exactly what lies between the first and the last.
    return createHmac('sha256', this.key)
      .update(`${expiry}\0${userId}\0${conversationId}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }
}
