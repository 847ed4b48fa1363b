/**
 * Attachments end to end on the real embedded stack: the upload endpoint (presign → PUT → GET, with its limits and
 * safe serving headers), a send frame naming the upload (stored with the message, owner-checked), the bridge
 * turning it into an `image_url` part the simulator reports in its answer, and the refusals (another user's
 * upload, a URL the relay cannot vouch for, too many); deleting a conversation deletes the uploads only it used.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newId, type Attachment } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('relay: attachments', () => {
  let stack: TestStack;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llc-uploads-'));
    stack = await startTestStack({ relay: { uploadDir: dir, uploadMaxBytes: 1000, maxAttachments: 2 } });
  });
  after(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function presign(token: string | undefined, body: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${stack.httpUrl}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  async function upload(
    user: string,
    name: string,
    mediaType: string,
    bytes: Buffer<ArrayBuffer>,
  ): Promise<Attachment> {
    const signed = await presign(await stack.token(user), { name, mediaType, size: bytes.byteLength });
    assert.equal(signed.status, 201, JSON.stringify(signed.json));
    const { uploadUrl } = signed.json as { uploadUrl: string; attachment: Attachment };
    const put = await fetch(new URL(uploadUrl, stack.httpUrl), { method: 'PUT', body: bytes });
    assert.equal(put.status, 200);
    return ((await put.json()) as { attachment: Attachment }).attachment;
  }

  it('presigns for signed-in users within the size and type limits, and says why not', async () => {
    const token = await stack.token('alice');
    const none = await presign(undefined, { name: 'a.png', mediaType: 'image/png', size: 10 });
    assert.equal(none.status, 401);
    const big = await presign(token, { name: 'a.png', mediaType: 'image/png', size: 1001 });
    assert.equal(big.status, 413);
    assert.match((big.json as { error: string }).error, /limited to 1000 bytes/);
    const html = await presign(token, { name: 'a.html', mediaType: 'text/html', size: 10 });
    assert.equal(html.status, 415);
    assert.match((html.json as { error: string }).error, /text\/html are not accepted/);
    const badName = await presign(token, { name: 'a\u202egnp.exe', mediaType: 'image/png', size: 10 });
    assert.equal(badName.status, 400);
    assert.match((badName.json as { error: string }).error, /name/);
  });

  it('stores exactly the declared bytes once, and serves them with safe headers', async () => {
    const token = await stack.token('alice');
    const signed = await presign(token, { name: 'cat.png', mediaType: 'image/png', size: PNG.byteLength });
    const { uploadUrl, attachment } = signed.json as { uploadUrl: string; attachment: Attachment };
    assert.match(attachment.url, /^\/uploads\/up_[0-9a-f]{32}$/);
    const forged = uploadUrl.replace(/sig=.*/, 'sig=forged');
    assert.equal((await fetch(new URL(forged, stack.httpUrl), { method: 'PUT', body: PNG })).status, 403);
    const short = await fetch(new URL(uploadUrl, stack.httpUrl), { method: 'PUT', body: PNG.subarray(1) });
    assert.equal(short.status, 400);
    assert.equal((await fetch(new URL(attachment.url, stack.httpUrl))).status, 404, 'nothing served before the PUT');
    assert.equal((await fetch(new URL(uploadUrl, stack.httpUrl), { method: 'PUT', body: PNG })).status, 200);
    assert.equal((await fetch(new URL(uploadUrl, stack.httpUrl), { method: 'PUT', body: PNG })).status, 409);

    const image = await fetch(new URL(attachment.url, stack.httpUrl));
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    assert.match(image.headers.get('content-disposition') ?? '', /^inline; filename\*=UTF-8''cat\.png$/);
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), PNG);

    const text = await upload('alice', 'notes <1>.txt', 'text/plain', Buffer.from('<script>x</script>'));
    const file = await fetch(new URL(text.url, stack.httpUrl));
    assert.equal(file.headers.get('content-type'), 'application/octet-stream', 'never rendered as a page');
    assert.match(file.headers.get('content-disposition') ?? '', /^attachment; filename\*=UTF-8''notes%20%3C1%3E\.txt$/);
    assert.match(file.headers.get('content-security-policy') ?? '', /sandbox/);
  });

  it('stores a message with its upload and the model receives the image', async () => {
    const image = await upload('alice', 'cat.png', 'image/png', PNG);
    const alice = await ProtocolClient.connect(stack.wsUrl, await stack.token('alice'));
    const conversationId = newId('c_');
    alice.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: 'What is this?',
      attachments: [image],
    });
    const ack = await alice.next('ack');
    const { text } = await alice.streamText(ack.streamId);
    assert.ok(
      text.startsWith(`I received 1 image: \`${stack.httpUrl}${image.url}\`.`),
      `the simulator saw the image part: ${text.slice(0, 120)}`,
    );
    const page = await stack.stack.store.listMessages(conversationId, { limit: 10 });
    assert.deepEqual(page.messages[0]?.attachments, [image]);
    alice.send({ type: 'history', conversationId });
    const history = await alice.next('history-page');
    assert.deepEqual(history.messages[0]?.attachments, [image], 'history carries them');
    await alice.close();
  });

  it('refuses another user’s upload, URLs it cannot vouch for, and too many, storing nothing', async () => {
    const image = await upload('alice', 'cat.png', 'image/png', PNG);
    const mallory = await ProtocolClient.connect(stack.wsUrl, await stack.token('mallory'));
    const conversationId = newId('c_');
    const cases: [Attachment[], RegExp][] = [
      [[image], /not an upload of yours/],
      [[{ ...image, id: 'ext1', url: 'https://tracker.example/pixel.png' }], /not an upload of yours/],
      [[image, image, image], /limited to 2 attachments/],
    ];
    for (const [attachments, why] of cases) {
      const clientMessageId = newId('cm_');
      const from = mallory.frames.length;
      mallory.send({ type: 'send', clientMessageId, conversationId, text: 'mine now', attachments });
      const error = await mallory.next('error', from);
      assert.equal(error.ref, clientMessageId);
      assert.match(error.message, why);
    }
    const page = await stack.stack.store.listMessages(conversationId, { limit: 10 });
    assert.equal(page.messages.length, 0, 'nothing stored');
    await mallory.close();
  });

  it('deletes the uploads of a deleted conversation that no other conversation uses, giving their bytes back', async () => {
    const user = `u_${newId('x')}`;
    const only = await upload(user, 'only.png', 'image/png', PNG);
    const shared = await upload(user, 'shared.png', 'image/png', PNG);
    const held = async () => (await stack.stack.store.reserveUploadBytes(user, 0, 1e9)).used;
    assert.equal(await held(), 2 * PNG.byteLength);
    const client = await ProtocolClient.connect(stack.wsUrl, await stack.token(user));
    const [doomed, kept] = [newId('c_'), newId('c_')];
    const sends: [string, Attachment[]][] = [
      [doomed, [only, shared]],
      [kept, [shared]],
    ];
    for (const [conversationId, attachments] of sends) {
      const from = client.frames.length;
      client.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text: 'look', attachments });
      await client.next('ack', from);
    }
    const from = client.frames.length;
    client.send({ type: 'delete-conversation', conversationId: doomed });
    await client.next('conversation-deleted', from);
    assert.equal((await fetch(new URL(only.url, stack.httpUrl))).status, 404, 'the upload only it used is gone');
    assert.equal(existsSync(join(dir, only.id)), false, 'from the disk too');
    assert.equal((await fetch(new URL(shared.url, stack.httpUrl))).status, 200, 'one another conversation uses stays');
    assert.equal(await held(), PNG.byteLength, 'its bytes are back in the quota');

    const again = client.frames.length;
    client.send({ type: 'delete-conversation', conversationId: kept });
    await client.next('conversation-deleted', again);
    assert.equal((await fetch(new URL(shared.url, stack.httpUrl))).status, 404, 'gone with the last one');
    assert.equal(await held(), 0);
    await client.close();
  });
});
