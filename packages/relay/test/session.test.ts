/**
 * Sessions outlive sockets: a reconnect that names its previous session gets its conversations back before
 * `welcome`, and live events flow without re-subscribing. Only the same user's sessions are restored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROTOCOL_VERSION, newId } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startTestStack, type TestStack } from '@locallightchat/test-support/stack';

let stack: TestStack;
before(async () => (stack = await startTestStack()));
after(async () => stack.close());

async function reconnect(user: string, session: string) {
  const c = await ProtocolClient.open(stack.wsUrl);
  c.send({ type: 'hello', v: PROTOCOL_VERSION, token: await stack.token(user), session });
  return Object.assign(c, { welcome: await c.next('welcome') });
}

describe('relay: sessions', () => {
  it('restores the conversations of a previous connection, and streams reach the new socket at once', async () => {
    const first = await ProtocolClient.connect(stack.wsUrl, await stack.token('sally'));
    const conversations = [newId('c_'), newId('c_')];
    for (const conversationId of conversations) first.send({ type: 'subscribe', conversationId });
    await first.until((f) => f.filter((x) => x.type === 'subscribed').length === 2, 'two subscriptions');
    await first.close();

    const again = await reconnect('sally', first.welcome.sessionId);
    assert.deepEqual(again.welcome.restored?.sort(), [...conversations].sort());
    assert.notEqual(again.welcome.sessionId, first.welcome.sessionId);

    // Another tab sends in a restored conversation: the reconnected socket, which never re-subscribed, sees it.
    const tab = await ProtocolClient.connect(stack.wsUrl, await stack.token('sally'));
    tab.send({
      type: 'send',
      clientMessageId: newId('cm_'),
      conversationId: conversations[0]!,
      text: 'hi',
      maxTokens: 20,
    });
    const ack = await tab.next('ack');
    const seen = await again.streamText(ack.streamId);
    assert.equal(seen.text, (await tab.streamText(ack.streamId)).text);
    await Promise.all([again.close(), tab.close()]);
  });

  it("never restores another user's session", async () => {
    const owner = await ProtocolClient.connect(stack.wsUrl, await stack.token('olga'));
    owner.send({ type: 'subscribe', conversationId: newId('c_') });
    await owner.next('subscribed');
    await owner.close();
    const thief = await reconnect('mallory', owner.welcome.sessionId);
    assert.equal(thief.welcome.restored, undefined);
    await thief.close();
  });
});
