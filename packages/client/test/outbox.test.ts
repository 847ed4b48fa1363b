/**
 * Outbox: a message is stored before it is sent, resent after a retry-after unless settled, leaves the device
 * when settled, and its resend timers end with `close()`; a device store that fails never stops it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SendFrame } from '@locallightchat/protocol';
import { MemoryLocalStore, Outbox, type LocalStore } from '@locallightchat/client/internal';
import { settle } from './scripted-transport.js';

const frame = (id: string): SendFrame => ({ type: 'send', clientMessageId: id, conversationId: 'c1', text: id });

function outbox(local: LocalStore = new MemoryLocalStore()) {
  const sent: string[] = [];
  const o = new Outbox(local, (f) => sent.push(f.clientMessageId));
  return { o, sent, local };
}

describe('Outbox', () => {
  it('stores a message before sending it, and forgets it on the device once settled', async () => {
    const { o, sent, local } = outbox();
    o.add(frame('cm1'));
    assert.deepEqual(sent, [], 'not before it is stored');
    await settle();
    assert.deepEqual(sent, ['cm1']);
    assert.deepEqual(
      (await local.outgoing()).map((f) => f.clientMessageId),
      ['cm1'],
    );
    assert.deepEqual(
      o.frames().map((f) => f.clientMessageId),
      ['cm1'],
      'resent by the next connection',
    );
    assert.equal(o.settle('cm1'), true);
    assert.equal(o.settle('cm1'), false, 'settled once');
    await settle();
    assert.deepEqual(await local.outgoing(), []);
    assert.deepEqual(o.frames(), []);
  });

  it('resends after a retry-after, once, and not when settled meanwhile', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { o, sent } = outbox();
    o.restore(frame('cm1'));
    o.restore(frame('cm2'));
    sent.length = 0;
    o.retryAfter('cm1', 1000);
    o.retryAfter('cm2', 1000);
    o.retryAfter('cm1', 2000); // a later refusal replaces the earlier wait
    o.settle('cm2');
    t.mock.timers.tick(1999);
    assert.deepEqual(sent, []);
    t.mock.timers.tick(1);
    assert.deepEqual(sent, ['cm1']);
    t.mock.timers.tick(10_000);
    assert.deepEqual(sent, ['cm1'], 'no second resend');
  });

  it('cancels its resends on close and keeps the messages for the next connection', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { o, sent } = outbox();
    o.restore(frame('cm1'));
    sent.length = 0;
    o.retryAfter('cm1', 1000);
    o.close();
    t.mock.timers.tick(5000);
    assert.deepEqual(sent, [], 'no resend after close');
    assert.deepEqual(
      o.frames().map((f) => f.clientMessageId),
      ['cm1'],
    );
  });

  it('sends and keeps going when the device store fails', async (t) => {
    const warn = t.mock.method(console, 'warn', () => undefined);
    const failing: LocalStore = {
      putOutgoing: () => Promise.reject(new Error('quota exceeded')),
      removeOutgoing: () => Promise.reject(new Error('quota exceeded')),
      outgoing: () => Promise.reject(new Error('database closed')),
      saveConversation: () => Promise.reject(new Error('quota exceeded')),
      loadConversation: () => Promise.resolve(undefined),
      close: () => undefined,
    };
    const { o, sent } = outbox(failing);
    o.add(frame('cm1'));
    await settle();
    assert.deepEqual(sent, ['cm1'], 'sent although it could not be stored');
    assert.deepEqual(await o.stored(), [], 'nothing stored to restore');
    assert.equal(o.settle('cm1'), true);
    await settle();
    assert.equal(warn.mock.callCount(), 3, 'each failure said once');
  });
});
