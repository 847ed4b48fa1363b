import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headers } from '@nats-io/transport-node';
import { TurnPublisher } from '../src/turn-publisher.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('TurnPublisher', () => {
  it('hands the publishes of several tasks of one turn to the client together, in order', async () => {
    const handed: string[] = [];
    const publisher = new TurnPublisher((subject) => void handed.push(subject));
    const done: Promise<void>[] = [];
    // Two timers due together run in one timers phase, each as its own task (microtasks run between them):
    // as a bridge's backend chunks for different streams arrive.
    await new Promise<void>((resolve) => {
      setTimeout(() => {
        done.push(publisher.publish('a', bytes('1'), headers()));
        done.push(publisher.publish('b', bytes('2'), headers()));
      }, 0);
      setTimeout(() => {
        assert.deepEqual(handed, [], 'nothing handed over before the turn ends');
        done.push(publisher.publish('c', bytes('3'), headers()));
        resolve();
      }, 0);
    });
    await Promise.all(done);
    assert.deepEqual(handed, ['a', 'b', 'c']);
  });

  it('resolves a publish only once the client holds it, so what follows goes after it', async () => {
    const order: string[] = [];
    const publisher = new TurnPublisher((subject) => void order.push(`publish ${subject}`));
    await publisher.publish('token', bytes('x'), headers()).then(() => order.push('ack'));
    assert.deepEqual(order, ['publish token', 'ack']);
  });

  it('rejects the publishes the client refuses and hands over the others', async () => {
    const handed: string[] = [];
    const publisher = new TurnPublisher((subject) => {
      if (subject === 'bad') throw new Error('connection closed');
      handed.push(subject);
    });
    const results = await Promise.allSettled([
      publisher.publish('ok-1', bytes('1'), headers()),
      publisher.publish('bad', bytes('2'), headers()),
      publisher.publish('ok-2', bytes('3'), headers()),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(handed, ['ok-1', 'ok-2']);
  });

  it('flush() hands everything over at once (before a connection flush or close)', () => {
    const handed: string[] = [];
    const publisher = new TurnPublisher((subject) => void handed.push(subject));
    void publisher.publish('a', bytes('1'), headers());
    void publisher.publish('b', bytes('2'), headers());
    publisher.flush();
    assert.deepEqual(handed, ['a', 'b']);
  });
});
