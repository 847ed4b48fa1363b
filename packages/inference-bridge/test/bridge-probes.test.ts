/**
 * `llc-bridge`'s probes and drain as Kubernetes sees them: /healthz answers while the process lives; /readyz is
 * 200 only with the broker connected, a usable backend and no drain under way; SIGTERM turns /readyz to 503 at
 * once and ends the process within --drain-timeout-ms even while a long answer is still streaming.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { NatsBroker } from '@locallightchat/broker';
import { freePort, startNats, startProcess } from '@locallightchat/test-support';
import { startSimulator } from '@locallightchat/vllm-sim';
import { generationRequest } from './support/bridge-harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = ['--conditions=llc-source', '--import', 'tsx', 'packages/inference-bridge/src/cli/bridge-cli.ts'];
const READY = /llc-bridge ready: .*metrics on :(\d+)\/metrics/;

interface ReadyBody {
  ready: boolean;
  broker: string;
  draining: boolean;
  backends: { name: string; breaker: string; usable: boolean }[];
}

async function readyz(port: string): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startBridge(natsUrl: string, backendUrl: string, extra: string[] = []) {
  return startProcess(
    process.execPath,
    [...CLI, '--broker', natsUrl, '--backend-url', backendUrl, '--metrics-port', '0', '--metrics-host', '127.0.0.1']
      .concat(['--metrics-scrape-ms', '100'])
      .concat(extra),
    { cwd: root, ready: READY, timeoutMs: 60_000 },
  );
}

describe('llc-bridge probes and drain', () => {
  it('is ready with a live backend, not ready without one, and drains within --drain-timeout-ms', async () => {
    const nats = await startNats();
    // A tenth of 8b-h100's pace: an answer takes far longer than the drain timeout.
    const sim = await startSimulator({ profile: '8b-h100', speed: 0.1 });
    const deadBackend = `http://127.0.0.1:${await freePort()}/v1`;
    const [bridge, orphan] = await Promise.all([
      startBridge(nats.url, sim.url, ['--drain-timeout-ms', '1500', '--log-level', 'warn']),
      startBridge(nats.url, deadBackend),
    ]);
    const port = bridge.match[1]!;
    const broker = await NatsBroker.connect({ servers: nats.url, name: 'probe-test' });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      const ready = await until(
        'readyz with a live backend',
        () => readyz(port),
        (r) => r.status === 200,
      );
      assert.equal(ready.body.broker, 'connected');
      assert.deepEqual(
        ready.body.backends.map((b) => b.usable),
        [true],
      );

      const orphanPort = orphan.match[1]!;
      assert.equal((await fetch(`http://127.0.0.1:${orphanPort}/healthz`)).status, 200, 'alive though not ready');
      const notReady = await readyz(orphanPort);
      assert.equal(notReady.status, 503);
      assert.equal(notReady.body.broker, 'connected');
      assert.deepEqual(
        notReady.body.backends.map((b) => b.usable),
        [false],
        'a backend that never answered /metrics is not usable',
      );
      assert.equal(await orphan.stop(), 0);
      // Logs are JSON lines; at the default level (info) the drain notice is there.
      const notice = orphan
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; name: string; msg: string })
        .find((r) => r.msg.startsWith('SIGTERM'));
      assert.deepEqual(notice && [notice.level, notice.name], ['info', 'llc-bridge']);

      const request = generationRequest({ maxTokens: 4000 });
      let ended: { at: number; reason: string } | undefined;
      const firstToken = new Promise<void>((resolve) => {
        broker.subscribe(request.conversationId, (event) => {
          if (event.type === 'token') resolve();
          if (event.type === 'stream-end')
            ended = { at: Date.now(), reason: `${event.finishReason} ${event.errorMessage ?? ''}` };
        });
      });
      await broker.flush();
      await broker.submit(request);
      await firstToken;
      const exited = new Promise<number | null>((resolve) => bridge.child.once('exit', (code) => resolve(code)));
      const signalled = Date.now();
      bridge.child.kill('SIGTERM');
      const draining = await until(
        'readyz while draining',
        () => readyz(port),
        (r) => r.status === 503,
        1500,
      );
      assert.equal(draining.body.draining, true);
      assert.equal(await exited, 0);
      const took = Date.now() - signalled;
      assert.ok(
        took >= 1400,
        `waited for the running stream up to the drain timeout (${took} ms, end ${JSON.stringify(ended && { ...ended, after: ended.at - signalled })})`,
      );
      assert.ok(took < 10_000, `then stopped instead of waiting for the whole answer (${took} ms)`);
      assert.ok(!bridge.output().includes('"level":"info"'), '--log-level warn leaves out info lines');
    } finally {
      await broker.close();
      await bridge.stop();
      await orphan.stop();
      await sim.close();
      await nats.stop();
    }
  });
});
