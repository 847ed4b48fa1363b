/**
 * The upload endpoint under attack, on the real embedded stack over real HTTP: one user uploading in a loop (and
 * in a concurrent burst) is held to the per-user byte quota (413, `upload-quota-exceeded`) and then the per-user
 * request rate (429 with Retry-After, `rate-limited`); the disk holds at most the quota, no partial file or stray
 * record is left, and another user uploads as before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

const FILE = 1000;
const QUOTA = 3 * FILE;
const BURST = 30;

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: string; code?: string; uploadUrl?: string; retryAfterMs?: number };
}

describe('relay: upload abuse limits', () => {
  let stack: TestStack;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llc-upload-attacks-'));
    stack = await startTestStack({
      relay: {
        uploadDir: dir,
        uploadMaxBytes: FILE,
        uploadMaxBytesPerUser: QUOTA,
        // Refills far slower than the test runs: every request counts.
        uploadRatePerUser: { capacity: BURST, refillPerSecond: 0.001 },
      },
    });
  });
  after(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function answer(response: Response): Promise<Answer> {
    return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
  }

  async function presign(user: string, size = FILE): Promise<Answer> {
    const response = await fetch(`${stack.httpUrl}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token(user)}` },
      body: JSON.stringify({ name: 'junk.txt', mediaType: 'text/plain', size }),
    });
    return answer(response);
  }

  async function put(uploadUrl: string, size = FILE): Promise<Answer> {
    return answer(await fetch(new URL(uploadUrl, stack.httpUrl), { method: 'PUT', body: Buffer.alloc(size, 120) }));
  }

  /** Bytes of stored files in the upload dir, and its other entries by kind. */
  function disk(): { bytes: number; files: number; records: number; partial: number } {
    const names = readdirSync(dir);
    const files = names.filter((n) => /^up_[0-9a-f]{32}$/.test(n));
    return {
      bytes: files.reduce((sum, n) => sum + statSync(join(dir, n)).size, 0),
      files: files.length,
      records: names.filter((n) => n.endsWith('.json')).length,
      partial: names.filter((n) => n.endsWith('.part')).length,
    };
  }

  it('holds a looping user to the byte quota, then the request rate, and leaves another user alone', async () => {
    // A concurrent burst: every presign fits the empty quota, but only three PUTs can take their bytes.
    const signed = await Promise.all(Array.from({ length: 8 }, () => presign('mallory')));
    assert.deepEqual(
      signed.map((s) => s.status),
      Array(8).fill(201),
    );
    const puts = await Promise.all(signed.map((s) => put(s.body.uploadUrl!)));
    assert.equal(puts.filter((p) => p.status === 200).length, 3, 'three files fit in the quota');
    const over = puts.filter((p) => p.status !== 200);
    assert.equal(over.length, 5);
    for (const p of over) {
      assert.equal(p.status, 413);
      assert.equal(p.body.code, 'upload-quota-exceeded');
      assert.match(p.body.error ?? '', /reached their limit \(3000 bytes/);
    }
    assert.deepEqual(disk(), { bytes: QUOTA, files: 3, records: 3, partial: 0 }, 'refused PUTs left nothing');

    // The loop goes on: refused by the quota (nothing written) until the request rate runs out.
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 2 * BURST && last?.status !== 429; i++) {
      last = await presign('mallory');
      statuses.push(last.status);
    }
    assert.equal(last?.status, 429, `rate limited in the end: ${statuses.join(' ')}`);
    assert.equal(last.body.code, 'rate-limited');
    assert.ok(Number(last.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
    assert.ok((last.body.retryAfterMs ?? 0) > 0);
    assert.equal(statuses.filter((s) => s === 413).length, BURST - 16, 'each refused request counted');
    const stored = signed[puts.findIndex((p) => p.status === 200)]!;
    assert.equal((await put(stored.body.uploadUrl!)).status, 429, 'PUTs draw from the same bucket');
    assert.deepEqual(disk(), { bytes: QUOTA, files: 3, records: 3, partial: 0 }, 'the disk holds at most the quota');

    // Another user is unaffected.
    const bob = await presign('bob');
    assert.equal(bob.status, 201);
    assert.equal((await put(bob.body.uploadUrl!)).status, 200);
    assert.equal(disk().files, 4);

    const metrics = await (await fetch(`${stack.httpUrl}/metrics`)).text();
    assert.match(metrics, /llc_relay_uploads_total\{step="presign",result="rate-limited"\} 1\b/);
    assert.match(metrics, /llc_relay_uploads_total\{step="put",result="over-quota"\} 5\b/);
  });
});
