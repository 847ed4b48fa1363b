/**
 * The Store conformance suite's part for the upload byte quota (./upload-quota.ts), run by ./conformance.ts
 * against every adapter: two connections of one store stand for two relay nodes.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import type { Store } from './store.js';

/** The cases; `nodes` gives two connections to one store once the suite's `before` ran. */
export function uploadQuotaCases(nodes: () => { nodeA: Store; nodeB: Store }): void {
  it('counts upload bytes per user against a limit, shared by every node, and gives them back', async () => {
    const { nodeA, nodeB } = nodes();
    const alice = newId('u_');
    assert.deepEqual(await nodeA.reserveUploadBytes(alice, 0, 100), { ok: true, used: 0 }, 'a read of nothing');
    assert.deepEqual(await nodeA.reserveUploadBytes(alice, 60, 100), { ok: true, used: 60 });
    assert.deepEqual(await nodeB.reserveUploadBytes(alice, 41, 100), { ok: false, used: 60 }, 'would pass it');
    assert.deepEqual(await nodeB.reserveUploadBytes(alice, 40, 100), { ok: true, used: 100 }, 'exactly the limit');
    assert.deepEqual(await nodeA.reserveUploadBytes(alice, 1, 100), { ok: false, used: 100 });
    await nodeB.releaseUploadBytes(alice, 60);
    assert.deepEqual(await nodeA.reserveUploadBytes(alice, 0, 100), { ok: true, used: 40 });
    await nodeA.releaseUploadBytes(alice, 1000);
    assert.deepEqual(await nodeB.reserveUploadBytes(alice, 0, 100), { ok: true, used: 0 }, 'never below zero');
  });

  it('keeps each user to their own upload bytes', async () => {
    const { nodeA, nodeB } = nodes();
    const [alice, bob] = [newId('u_'), newId('u_')];
    assert.equal((await nodeA.reserveUploadBytes(alice, 100, 100)).ok, true);
    assert.deepEqual(await nodeB.reserveUploadBytes(bob, 100, 100), { ok: true, used: 100 }, "alice's use is hers");
    await nodeA.releaseUploadBytes(bob, 100);
    assert.deepEqual(await nodeB.reserveUploadBytes(alice, 0, 100), { ok: true, used: 100 }, "bob's release is his");
  });

  it('never lets a concurrent burst of reservations on two nodes pass the limit', async () => {
    const { nodeA, nodeB } = nodes();
    const mallory = newId('u_');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? nodeA : nodeB).reserveUploadBytes(mallory, 7, 100)),
    );
    assert.equal(results.filter((r) => r.ok).length, 14, '14 × 7 = 98 bytes fit in 100, a 15th would not');
    assert.deepEqual(await nodeA.reserveUploadBytes(mallory, 0, 100), { ok: true, used: 98 });
  });

  it('refuses a byte count that is not a whole number ≥ 0, changing nothing', async () => {
    const { nodeA } = nodes();
    const alice = newId('u_');
    await assert.rejects(nodeA.reserveUploadBytes(alice, -5, 100), RangeError);
    await assert.rejects(nodeA.reserveUploadBytes(alice, 1.5, 100), RangeError);
    await assert.rejects(nodeA.releaseUploadBytes(alice, -5), RangeError);
    assert.deepEqual(await nodeA.reserveUploadBytes(alice, 0, 100), { ok: true, used: 0 });
  });
}
