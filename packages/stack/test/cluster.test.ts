/**
 * The production cluster of deploy/compose.yaml as processes (process-cluster.ts): two relays behind nginx, two
 * bridges, two simulators, NATS JetStream and Redis, started from the same config files and LLC_* variables.
 *
 * - A chat through the balancer: hello, send, a streamed answer, the answer stored in history.
 * - A rolling restart of both relays (SIGTERM, drain, start again, then the other) while tabs stream: every tab
 *   is moved at least once, resumes by seq through the balancer, and every answer arrives whole — each batch
 *   1…lastSeq exactly once, no gap — and equal to the answer the cluster stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { classifyBatch, newId, type ClientFrame, type ServerFrame } from '@locallightchat/protocol';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { ProcessCluster } from './process-cluster.js';

const SECRET = 'cluster-test-secret-of-at-least-32-characters';
let cluster: ProcessCluster;

async function token(user: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

/**
 * A tab as the real client behaves on a deploy: on go-away it reconnects after the hinted delay (or as soon as
 * the relay closes it), through the balancer, and resumes each unfinished stream from its last seq + 1.
 */
class Tab {
  moves = 0;
  /** Moves in the middle of an answer (resumed by seq). */
  resumes = 0;
  /** Batches dropped by the seq rule as already held (a duplicate a client would have had to drop). */
  dropped = 0;
  private client!: ProtocolClient;
  private read = 0;

  private constructor(readonly user: string) {}

  static async open(user: string): Promise<Tab> {
    const tab = new Tab(user);
    tab.client = await tab.connect();
    return tab;
  }

  private async connect(): Promise<ProtocolClient> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await ProtocolClient.connect(cluster.wsUrl, await token(this.user));
      } catch (error) {
        // Both relays briefly unreachable from the balancer (one draining, one starting): try again.
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Sends a message and follows its answer to the end across relay moves; returns the text and last seq. */
  async chat(conversationId: string, text: string, maxTokens: number): Promise<{ text: string; lastSeq: number }> {
    const ack = await this.send({ type: 'send', clientMessageId: newId('cm_'), conversationId, text, maxTokens });
    let last = 0;
    let answer = '';
    for (;;) {
      const frames = this.client.frames;
      for (; this.read < frames.length; this.read++) {
        const f: ServerFrame = frames[this.read]!;
        if (f.type === 'token' && f.streamId === ack.streamId) {
          const place = classifyBatch(last, f);
          assert.notEqual(place, 'gap', `batch ${f.firstSeq ?? f.seq}..${f.seq} follows ${last} (no token lost)`);
          if (place === 'old') this.dropped++;
          else {
            answer += f.text;
            last = f.seq;
          }
        } else if (f.type === 'stream-end' && f.streamId === ack.streamId) {
          assert.equal(f.lastSeq, last, 'the stream ended at the last batch this tab holds');
          return { text: answer, lastSeq: last };
        } else if (f.type === 'go-away') {
          await this.move(conversationId, ack.streamId, last, f.reconnectAfterMs ?? 0);
          break;
        }
      }
      if (this.read < this.client.frames.length) continue;
      if (!this.client.isOpen) {
        await this.move(conversationId, ack.streamId, last, 0);
        continue;
      }
      const seen = this.client.frames.length;
      await this.client.until((fs) => fs.length > seen || !this.client.isOpen, 'more frames or a close', 60_000);
    }
  }

  /**
   * Sends `frame` and waits for its ack; if the relay goes away first, sends it again (same clientMessageId, which
   * the relay deduplicates) on a new connection.
   */
  private async send(frame: Extract<ClientFrame, { type: 'send' }>): Promise<Extract<ServerFrame, { type: 'ack' }>> {
    for (let attempt = 0; ; attempt++) {
      const from = this.client.frames.length;
      const goneAway = this.client.frames.slice(this.read).some((f) => f.type === 'go-away');
      if (!this.client.isOpen || goneAway) {
        await this.client.close();
        this.moves++;
        this.client = await this.connect();
        continue;
      }
      this.client.send(frame);
      try {
        const ack = await this.client.until(
          (fs) => fs.slice(from).find((f) => f.type === 'ack' || f.type === 'go-away'),
          'ack or go-away, or a close',
          30_000,
        );
        this.read = from;
        if (ack.type === 'ack') return ack;
        // go-away before the ack: the relay may or may not have taken it; the resend is deduplicated.
        const acked = await this.client
          .until((fs) => fs.slice(from).find((f) => f.type === 'ack'), 'ack or close', 2000)
          .catch(() => undefined);
        if (acked?.type === 'ack') return acked;
      } catch (error) {
        if (attempt > 5) throw error;
      }
    }
  }

  /** Leaves the draining relay (after `delayMs`, or at once if it closes us first) and resumes elsewhere. */
  private async move(conversationId: string, streamId: string, last: number, delayMs: number): Promise<void> {
    const old = this.client;
    await Promise.race([
      new Promise((r) => setTimeout(r, delayMs)),
      old.until(() => !old.isOpen, 'close by the draining relay', delayMs + 1000).catch(() => undefined),
    ]);
    await old.close();
    this.moves++;
    this.resumes++;
    this.client = await this.connect();
    this.read = this.client.frames.length;
    this.client.send({ type: 'resume', conversationId, streamId, fromSeq: last + 1 });
  }

  /** The stored messages of a conversation (history from whichever relay the balancer picks). */
  async history(conversationId: string): Promise<Extract<ServerFrame, { type: 'history-page' }>> {
    const from = this.client.frames.length;
    this.client.send({ type: 'history', conversationId, limit: 100 });
    return this.client.next('history-page', from, 30_000);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

before(async () => {
  // The simulators run at a fifth of the profile's speed, so answers outlast a relay's drain and restart.
  cluster = await ProcessCluster.start({ secret: SECRET, simFlags: ['--speed', '0.2'] });
});

after(async () => {
  await cluster?.stop();
});

describe('cluster: two relays behind nginx, two bridges, two simulators, NATS, Redis (deploy/compose.yaml as processes)', () => {
  it('chats through the balancer: hello, send, a streamed answer, stored in history', async () => {
    const tab = await Tab.open(newId('u'));
    const conversationId = newId('c_');
    const answer = await tab.chat(conversationId, 'What does a balancer do with WebSockets?', 60);
    assert.ok(answer.lastSeq > 0 && answer.text.length > 0, 'an answer streamed');
    const page = await waitForStored(tab, conversationId, 2);
    assert.equal(page.messages[1]?.text, answer.text);
    await tab.close();
  });

  it('a rolling restart of the relays while answers stream loses no token and duplicates none', async (t) => {
    const tabs = await Promise.all(Array.from({ length: 4 }, () => Tab.open(newId('u'))));
    const conversations = tabs.map(() => newId('c_'));
    let restarting = true;
    const answers: { tab: Tab; conversationId: string; text: string; lastSeq: number }[] = [];
    // Each tab keeps asking until the restart is over, so streams are always running while relays go.
    const chatting = tabs.map(async (tab, i) => {
      for (let n = 0; restarting || n === 0; n++) {
        const answer = await tab.chat(conversations[i]!, `Question ${n}: explain rolling restarts.`, 200);
        answers.push({ tab, conversationId: conversations[i]!, ...answer });
      }
    });
    const restart = async () => {
      await new Promise((r) => setTimeout(r, 1500));
      for (const i of [0, 1] as const) {
        assert.equal(await cluster.stopRelay(i), 0, `relay ${i + 1} drained and exited 0`);
        await cluster.startRelay(i);
      }
      restarting = false;
    };
    await Promise.all([restart(), ...chatting]);

    for (const tab of tabs) assert.ok(tab.moves >= 1, 'every tab was moved by the restart at least once');
    const resumes = tabs.reduce((sum, tab) => sum + tab.resumes, 0);
    assert.ok(resumes >= 1, 'at least one answer was resumed by seq on the other relay');
    assert.equal(
      tabs.reduce((sum, tab) => sum + tab.dropped, 0),
      0,
      'no batch was delivered twice across the moves',
    );
    t.diagnostic(
      `${answers.length} answers, ${tabs.reduce((s, tab) => s + tab.moves, 0)} moves, ${resumes} mid-answer resumes`,
    );
    // Every answer equals what the cluster stored: nothing lost between the relays.
    for (const [i, tab] of tabs.entries()) {
      const mine = answers.filter((a) => a.tab === tab);
      const page = await waitForStored(tab, conversations[i]!, mine.length * 2);
      const stored = page.messages.filter((m) => m.role === 'assistant').map((m) => m.text);
      assert.deepEqual(
        stored,
        mine.map((a) => a.text),
        `tab ${i}: transcripts equal the stored answers`,
      );
      for (const a of mine) assert.ok(a.lastSeq > 0, 'each answer has tokens');
    }
    await Promise.all(tabs.map((tab) => tab.close()));
  });
});

/** History once it holds `count` messages (the answer is stored when its stream ends). */
async function waitForStored(
  tab: Tab,
  conversationId: string,
  count: number,
): Promise<Extract<ServerFrame, { type: 'history-page' }>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const page = await tab.history(conversationId);
    if (page.messages.length >= count || Date.now() > deadline) {
      assert.equal(page.messages.length, count, 'every message is stored');
      return page;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
