/**
 * Chaos: a bridge dies. Real processes: nats-server (JetStream), redis-server, a vLLM simulator, two llc-bridge
 * and one llc-relay. What the design promises (packages/inference-bridge/BRIDGE.md, "Failover"):
 *
 * - Killed **before the first token**: the work-queue delivery is acknowledged only at the first token, so the
 *   request is redelivered to the other bridge, which answers it: the user sees one ordinary stream from seq 1,
 *   complete, stored, with no error.
 * - Killed **after the first token**: tokens are never generated twice into one stream, so the stream is not
 *   retried: it ends with `finishReason: 'error'`, `errorCode: 'stream-failed'` and a message for the user — a clear
 *   error, never a stream that hangs — and the interrupted answer is stored with that reason. The next message is
 *   answered by the surviving bridge.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { newId } from '@locallightchat/protocol';
import { hs256Token, type RelayProcess, type RunningServer, type StartedProcess } from '@locallightchat/test-support';
import { expectStoredAnswers, StreamFollower, waitUntil } from '@locallightchat/test-support/follower';
import { chaosRig } from './rig.js';

const rig = chaosRig();
let nats: RunningServer;
let relay: RelayProcess;
let sim: StartedProcess & { url: string };

/** No first-token timeout: the hung request must wait for the kill, not fail over on its own (one replica). */
const bridge = () => rig.bridge(nats.url, [sim.url], { args: ['--ttft-timeout-ms', '0'] });

async function faults(body: object): Promise<{ faults: { hangNext: number } }> {
  const res = await fetch(`${sim.url.replace(/\/v1$/, '')}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { faults: { hangNext: number } };
}

before(async () => {
  const [started, redis] = await Promise.all([rig.nats(), rig.redis()]);
  nats = started;
  sim = await rig.sim(['--speed', '0.02']);
  // A short stall timeout, so the test does not wait the default minute.
  relay = await rig.relay(nats.url, redis.url, { args: ['--stream-stall-timeout-ms', '15000'] });
});

describe('chaos: bridges killed', () => {
  it('before the first token: the other bridge takes the request over; one whole answer, no error', async (t) => {
    const first = await bridge();
    await faults({ hangNext: 1 });
    const tab = await StreamFollower.open({ urls: () => [relay.wsUrl], token: () => hs256Token('bridge-before') });
    const conversationId = newId('c_');
    const answer = tab.chat(conversationId, 'Who takes over when a bridge dies?', 60);
    // The request hangs in the simulator before its first token (the fault is consumed when it arrives).
    await waitUntil('the request to reach the simulator', async () => (await faults({})).faults.hangNext === 0);
    const second = await bridge();
    const killedAt = Date.now();
    await first.kill();
    const done = await answer;
    const tookOverMs = Date.now() - killedAt;
    t.diagnostic(
      `answer of ${done.lastSeq} batches ended ${tookOverMs} ms after the kill (finish ${done.end.finishReason} ` +
        `${done.end.errorCode ?? ''}); ` +
        `error frames ${tab.errors.length}`,
    );
    assert.notEqual(done.end.finishReason, 'error', 'an ordinary answer');
    assert.equal(done.gaps + done.duplicates, 0, 'each batch once, from seq 1');
    assert.deepEqual(tab.errors, [], 'no error shown');
    await expectStoredAnswers([tab], [conversationId], [done]);
    await tab.close();
    await rig.stopProcess(second);
  });

  it('after the first token: a clear stream-failed end (stored with its reason), and the next message answered', async (t) => {
    const serving = await bridge();
    const tab = await StreamFollower.open({ urls: () => [relay.wsUrl], token: () => hs256Token('bridge-after') });
    const conversationId = newId('c_');
    const answer = tab.chat(conversationId, 'What if the bridge dies mid-answer?', 400);
    await waitUntil('the first tokens', () => tab.connection.frames.some((f) => f.type === 'token'));
    const killedAt = Date.now();
    await serving.kill();
    const standby = await bridge();
    const done = await answer;
    const endedMs = Date.now() - killedAt;
    t.diagnostic(
      `stream ended ${endedMs} ms after the kill at seq ${done.lastSeq}: ${done.end.finishReason} ` +
        `${done.end.errorCode ?? ''} "${done.end.errorMessage ?? ''}"`,
    );
    assert.equal(done.end.finishReason, 'error');
    assert.equal(done.end.errorCode, 'stream-failed');
    assert.ok(
      done.end.errorMessage && !/127\.0\.0\.1|ECONN|UND_ERR/.test(done.end.errorMessage),
      'a user-facing reason',
    );
    assert.equal(done.gaps + done.duplicates, 0, 'the tokens before the kill, each once');
    // Stored as the user saw it: the partial text with the failure's reason.
    await waitUntil('the interrupted answer to be stored', async () => {
      const page = await tab.request(
        { type: 'history', conversationId, limit: 10 },
        (f): f is Extract<typeof f, { type: 'history-page' }> => f.type === 'history-page',
      );
      const stored = page.messages.find((m) => m.role === 'assistant');
      return stored?.text === done.text && stored.errorCode === 'stream-failed';
    });
    const next = await tab.chat(conversationId, 'Are you back?', 30);
    assert.notEqual(next.end.finishReason, 'error', 'the surviving bridge answers the next message');
    await tab.close();
    void standby;
  });
});
