/**
 * Ratings of answers end to end: a `feedback` frame over a real socket → stored (owner only) → `feedback-saved`
 * → POSTed to the app's webhook, a real HTTP server on a free port. Also the webhook's retries.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';
import { FeedbackWebhook, type FeedbackRecord, type Logger } from '../src/internal.js';

/** A local HTTP receiver: records each POST body, answers with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; bodies: unknown[]; server: Server }> {
  const bodies: unknown[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push({ contentType: req.headers['content-type'], method: req.method, body: JSON.parse(body) as unknown });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feedback`, bodies, server };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('relay: feedback on answers', () => {
  let stack: TestStack;
  let hook: Awaited<ReturnType<typeof receiver>>;
  before(async () => {
    hook = await receiver();
    stack = await startTestStack({ relay: { feedbackWebhookUrl: hook.url } });
  });
  after(async () => {
    await stack.close();
    hook.server.close();
  });

  it('stores a thumbs-down with its comment, confirms it, and POSTs it to the webhook; others may not rate', async () => {
    const alice = await ProtocolClient.connect(stack.wsUrl, await stack.token('alice'));
    const conversationId = newId('c_');
    alice.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId,
      text: 'Capital of France?',
      maxTokens: 20,
    });
    const ack = await alice.next('ack');
    await alice.streamText(ack.streamId);

    alice.send({ type: 'feedback', conversationId, streamId: ack.streamId, rating: 'down', comment: '  wrong city  ' });
    const saved = await alice.next('feedback-saved');
    assert.deepEqual(saved, { type: 'feedback-saved', conversationId, streamId: ack.streamId, rating: 'down' });
    await until('the webhook POST', () => hook.bodies.length === 1);
    const post = hook.bodies[0] as { contentType: string; method: string; body: FeedbackRecord };
    assert.equal(post.method, 'POST');
    assert.equal(post.contentType, 'application/json');
    assert.equal(post.body.rating, 'down');
    assert.equal(post.body.comment, 'wrong city');
    assert.equal(post.body.userId, 'alice');
    assert.equal(post.body.conversationId, conversationId);
    assert.equal(post.body.streamId, ack.streamId);
    assert.equal(post.body.messageId, `a${ack.streamId.slice(1)}`);
    const stored = await stack.stack.store.listFeedback(conversationId, 'alice');
    assert.deepEqual(stored, [post.body]);

    // Mallory cannot rate (or learn about) Alice's answers.
    const mallory = await ProtocolClient.connect(stack.wsUrl, await stack.token('mallory'));
    mallory.send({ type: 'feedback', conversationId, streamId: ack.streamId, rating: 'up', comment: 'spam' });
    const refused = await mallory.next('error');
    assert.equal(refused.code, 'forbidden');
    assert.equal((await stack.stack.store.listFeedback(conversationId, 'alice'))[0]!.rating, 'down');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(hook.bodies.length, 1, 'a refused rating never reaches the webhook');
    await alice.close();
    await mallory.close();
  });

  it('refuses a rating that is not up or down as a bad frame', async () => {
    const alice = await ProtocolClient.connect(stack.wsUrl, await stack.token('alice'));
    alice.sendRaw(JSON.stringify([60, 'c_1', 's_1', 'meh']));
    assert.equal((await alice.next('error')).code, 'bad-frame');
    await alice.close();
  });
});

describe('FeedbackWebhook', () => {
  const quiet: Logger & { warnings: string[] } = {
    warnings: [],
    error: () => undefined,
    warn(m: string) {
      this.warnings.push(m);
    },
    info: () => undefined,
    debug: () => undefined,
  };
  const record: FeedbackRecord = {
    conversationId: 'c_1',
    streamId: 's_1',
    messageId: 'a_1',
    userId: 'alice',
    rating: 'up',
    createdAt: 1,
  };

  it('retries a failing webhook until it answers 2xx', async () => {
    const hook = await receiver([503, 500]);
    const webhook = new FeedbackWebhook({ url: hook.url, retryDelayMs: 20 }, quiet);
    webhook.offer(record);
    await webhook.settled();
    assert.equal(hook.bodies.length, 3);
    assert.deepEqual((hook.bodies[2] as { body: unknown }).body, record);
    assert.deepEqual(quiet.warnings, []);
    hook.server.close();
  });

  it('gives up after its attempts and logs that the rating was stored but not delivered', async () => {
    const hook = await receiver([500, 500]);
    const webhook = new FeedbackWebhook({ url: hook.url, retryDelayMs: 10, attempts: 2 }, quiet);
    webhook.offer(record);
    await webhook.settled();
    assert.equal(hook.bodies.length, 2);
    assert.match(quiet.warnings[0] ?? '', /stored but not delivered .* after 2 tries \(HTTP 500\)/);
    hook.server.close();
  });

  it('refuses a URL that is not http(s)', () => {
    assert.throws(() => new FeedbackWebhook({ url: 'ftp://x' }, quiet), RangeError);
  });
});
