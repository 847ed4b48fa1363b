/**
 * Subscription grants: the signature itself (auth/subscription-grant.ts), and a relay that re-admits a returning
 * subscriber by its grant without reading the Store, while anything else about the grant sends it to the Store
 * as before (so a forged, expired or borrowed grant gains nothing).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId, type SubscribedFrame } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';
import { SubscriptionGrants } from '../src/auth/subscription-grant.js';

const SECRET = 'a grant secret of at least thirty-two characters';

describe('SubscriptionGrants', () => {
  let clock = 1_000_000;
  const grants = new SubscriptionGrants(SECRET, 60_000, () => clock);

  it('verifies its own grant for the same user and conversation, until it expires', () => {
    const grant = grants.issue('alice', 'c_1')!;
    assert.match(grant, /^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    assert.equal(grants.verify(grant, 'alice', 'c_1'), true);
    assert.equal(grants.verify(grant, 'bob', 'c_1'), false, 'another user');
    assert.equal(grants.verify(grant, 'alice', 'c_2'), false, 'another conversation');
    clock += 59_999;
    assert.equal(grants.verify(grant, 'alice', 'c_1'), true);
    clock += 1;
    assert.equal(grants.verify(grant, 'alice', 'c_1'), false, 'expired');
  });

  it('refuses a changed expiry or MAC, a non-canonical expiry, and grants signed with another secret', () => {
    const grant = grants.issue('alice', 'c_1')!;
    const [expiry, mac] = grant.split('.') as [string, string];
    const later = (parseInt(expiry, 36) + 3_600_000).toString(36);
    assert.equal(grants.verify(`${later}.${mac}`, 'alice', 'c_1'), false, 'a later expiry with the old MAC');
    const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A');
    assert.equal(grants.verify(`${expiry}.${flipped}`, 'alice', 'c_1'), false);
    assert.equal(grants.verify(`0${expiry}.${mac}`, 'alice', 'c_1'), false, 'a leading zero');
    assert.equal(grants.verify(`${expiry}.${mac}x`, 'alice', 'c_1'), false);
    assert.equal(grants.verify('', 'alice', 'c_1'), false);
    assert.equal(grants.verify('.'.repeat(30), 'alice', 'c_1'), false);
    const other = new SubscriptionGrants(`${SECRET}!`, 60_000, () => clock);
    assert.equal(other.verify(grant, 'alice', 'c_1'), false);
    assert.equal(new SubscriptionGrants(undefined, 60_000).verify(grant, 'alice', 'c_1'), false, 'a random secret');
  });

  it('issues and accepts nothing with a lifetime of 0', () => {
    const off = new SubscriptionGrants(SECRET, 0, () => clock);
    assert.equal(off.issue('alice', 'c_1'), undefined);
    assert.equal(off.verify(grants.issue('alice', 'c_1')!, 'alice', 'c_1'), false);
  });
});

describe('relay: re-subscribing with a grant', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ relay: { grantSecret: SECRET } });
  });
  after(async () => stack.close());

  /** The relay's Store reads of ownership so far (claims and plain reads). */
  async function ownershipReads(): Promise<number> {
    const { values } = await stack.stack.relay.metrics.storeCalls.get();
    return values
      .filter((v) => ['claimConversation', 'ownerOf'].includes(String(v.labels.op)))
      .reduce((sum, v) => sum + v.value, 0);
  }

  async function subscribe(c: ProtocolClient, conversationId: string, grant?: string): Promise<SubscribedFrame> {
    const from = c.frames.length;
    c.send({ type: 'subscribe', conversationId, ...(grant ? { grant } : {}) });
    return c.next('subscribed', from);
  }

  it('admits a returning subscriber by its grant with no Store read, and gives no new grant for it', async () => {
    const name = newId('u');
    const conversationId = newId('c_');
    const first = await ProtocolClient.connect(stack.wsUrl, await stack.token(name));
    const claimed = await subscribe(first, conversationId);
    assert.ok(claimed.grant, 'the first subscribe (a Store claim) brings a grant');
    await first.close();

    const back = await ProtocolClient.connect(stack.wsUrl, await stack.token(name));
    const reads = await ownershipReads();
    const again = await subscribe(back, conversationId, claimed.grant);
    assert.equal(await ownershipReads(), reads, 'no ownership read from the Store');
    assert.equal(again.grant, undefined, 'a grant is renewed only by a Store read');
    await back.close();
  });

  it('reads the Store for a grant that is forged or belongs to another user, and refuses another owner', async () => {
    const alice = await ProtocolClient.connect(stack.wsUrl, await stack.token(newId('alice')));
    const conversationId = newId('c_');
    const { grant } = await subscribe(alice, conversationId);
    assert.ok(grant);

    const mallory = await ProtocolClient.connect(stack.wsUrl, await stack.token(newId('mallory')));
    const reads = await ownershipReads();
    mallory.send({ type: 'subscribe', conversationId, grant });
    const refused = await mallory.next('error');
    assert.equal(refused.code, 'forbidden');
    assert.equal(refused.ref, conversationId);
    assert.equal(await ownershipReads(), reads + 1, "alice's grant sent mallory to the Store");

    // One MAC character changed to another (a fixed replacement such as "AA" would, about once in 1,024 runs,
    // equal the real grant's ending: the Node 24 CI pass of 2026-12-06 drew that).
    const at = grant.indexOf('.') + 1;
    const forgedGrant = `${grant.slice(0, at)}${grant[at] === 'A' ? 'B' : 'A'}${grant.slice(at + 1)}`;
    assert.notEqual(forgedGrant, grant);
    const forged = await subscribe(alice, conversationId, forgedGrant);
    assert.ok(forged.grant, 'a forged grant is no error: the Store said alice owns it, and a new grant came');
    assert.equal(await ownershipReads(), reads + 2);
    await alice.close();
    await mallory.close();
  });
});
