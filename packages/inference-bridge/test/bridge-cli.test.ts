/**
 * `llc-bridge` as a process against a real nats-server and two simulator replicas: --help documents the
 * routing options, a request is answered through the work queue, and --metrics-port serves the bridge metrics.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { NatsBroker } from '@locallightchat/broker';
import type { StreamEndFrame } from '@locallightchat/protocol';
import { startNats, startProcess } from '@locallightchat/test-support';
import { startSimulator } from '@locallightchat/vllm-sim';
import { generationRequest } from './support/bridge-harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = ['--conditions=llc-source', '--import', 'tsx', 'packages/inference-bridge/src/cli/bridge-cli.ts'];
const run = promisify(execFile);

describe('llc-bridge CLI', () => {
  it('--help lists the routing, admission, fallback and metrics options', async () => {
    const { stdout } = await run(process.execPath, [...CLI, '--help'], { cwd: root });
    for (const flag of [
      '--target-in-flight',
      '--max-queue-ms',
      '--ttft-timeout-ms',
      '--metrics-scrape-ms',
      '--metrics-stale-after',
      '--no-scrape',
      '--cooldown-ms',
      '--max-cooldown-ms',
      '--fallback-url',
      '--fallback-api-key',
      '--fallback-model',
      '--metrics-port',
      '--router',
      '--kv-events-endpoints',
      '--tokenizer-module',
    ]) {
      assert.ok(stdout.includes(flag), `${flag} in --help`);
    }
  });

  it('refuses an unknown router, and prefix-precise without the engine tokenizer, with usage errors', async () => {
    const base = [...CLI, '--broker', 'nats://127.0.0.1:1', '--backend-url', 'http://127.0.0.1:1/v1'];
    for (const [extra, message] of [
      [['--router', 'sticky'], /--router must be one of random, round-robin, load, prefix-approx, prefix-precise/],
      [['--router', 'prefix-precise'], /needs one --kv-events-endpoints entry per --backend-url/],
      [['--router', 'prefix-precise', '--kv-events-endpoints', 'tcp://127.0.0.1:1'], /needs --tokenizer-module/],
    ] as const) {
      await assert.rejects(
        run(process.execPath, [...base, ...extra], { cwd: root }),
        (e: { code?: number; stderr?: string }) => {
          assert.equal(e.code, 2);
          assert.match(e.stderr ?? '', message);
          return true;
        },
      );
    }
  });

  it('--print-config shows settings from --config, env and flags, API keys redacted; unknown keys are usage errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-bridge-config-'));
    const config = join(dir, 'bridge.yaml');
    writeFileSync(
      config,
      'broker: nats://nats-1:4222,nats://user:pw@nats-2:4222\nbackend-url: [http://gpu-1:8000/v1, http://gpu-2:8000/v1]\n' +
        'backend-api-key: sk-live-123456\nmax-in-flight: 64\n',
    );
    const { stdout } = await run(
      process.execPath,
      [...CLI, '--config', config, '--print-config', '--max-in-flight', '32'],
      {
        cwd: root,
        env: { ...process.env, LLC_FALLBACK_API_KEY: 'sk-fallback-999' },
      },
    );
    assert.ok(!stdout.includes('sk-live') && !stdout.includes('sk-fallback') && !stdout.includes(':pw@'), stdout);
    assert.match(stdout, /^broker: nats:\/\/nats-1:4222,nats:\/\/user:redacted@nats-2:4222 # file$/m);
    assert.match(stdout, /^backend-api-key: <redacted> # file$/m);
    assert.match(stdout, /^fallback-api-key: <redacted> # env LLC_FALLBACK_API_KEY$/m);
    assert.match(stdout, /^max-in-flight: 32 # flag$/m);
    writeFileSync(config, 'max-inflight: 3\n');
    await assert.rejects(
      run(process.execPath, [...CLI, '--config', config], { cwd: root }),
      (e: { code?: number; stderr?: string }) => {
        assert.equal(e.code, 2);
        assert.match(e.stderr ?? '', /unknown key "max-inflight" \(did you mean "max-in-flight"\?\)/);
        return true;
      },
    );
  });

  it('refuses a fallback without a model with a usage error', async () => {
    await assert.rejects(
      run(
        process.execPath,
        [
          ...CLI,
          '--broker',
          'nats://127.0.0.1:1',
          '--backend-url',
          'http://127.0.0.1:1/v1',
          '--fallback-url',
          'http://x/v1',
        ],
        { cwd: root },
      ),
      (e: { code?: number; stderr?: string }) => {
        assert.equal(e.code, 2);
        assert.match(e.stderr ?? '', /--fallback-model is required/);
        return true;
      },
    );
  });

  it('answers through the work queue and serves its metrics', async () => {
    const nats = await startNats();
    const a = await startSimulator({ profile: 'fast' });
    const b = await startSimulator({ profile: 'fast' });
    // Everything started is stopped in `finally`, also when the bridge never becomes ready: a NATS server or a
    // simulator left running keeps this file's process alive, and the whole `npm test` waited on it (the Node 24
    // pass on 2026-12-03 hung 15+ min after this test timed out at load 40-50).
    let bridge: Awaited<ReturnType<typeof startProcess>> | undefined;
    let broker: NatsBroker | undefined;
    try {
      bridge = await startProcess(
        process.execPath,
        [
          ...CLI,
          '--broker',
          nats.url,
          '--backend-url',
          `${a.url},${b.url}`,
          '--metrics-port',
          '0',
          '--metrics-host',
          '127.0.0.1',
          '--target-in-flight',
          '8',
        ],
        {
          cwd: root,
          ready: /llc-bridge ready: .*metrics on :(\d+)\/metrics/,
          // Starting the CLI under tsx printed nothing for 30 s in the Node 24 pass at load 40-50 (2026-12-03): the
          // ready wait is about the bridge working, not about start-up speed (which bench/ measures).
          timeoutMs: 120_000,
        },
      );
      const connected = await NatsBroker.connect({ servers: nats.url, name: 'cli-test' });
      broker = connected;
      const request = generationRequest();
      const ended = new Promise<StreamEndFrame>((resolve) => {
        connected.subscribe(request.conversationId, (event) => event.type === 'stream-end' && resolve(event));
      });
      await connected.flush();
      await connected.submit(request);
      const end = await ended;
      assert.ok(
        end.finishReason === 'stop' || end.finishReason === 'length',
        `${end.finishReason} ${end.errorMessage ?? ''}`,
      );
      const text = await (await fetch(`http://127.0.0.1:${bridge.match[1]}/metrics`)).text();
      assert.match(text, /llc_bridge_requests_total\{backend="127\.0\.0\.1:\d+",outcome="ok"\} 1/);
      assert.match(text, /llc_bridge_queue_depth 0/);
      assert.match(text, /llc_bridge_process_cpu_seconds_total/);
    } finally {
      await broker?.close();
      const exit = await bridge?.stop();
      await a.close();
      await b.close();
      await nats.stop();
      if (bridge) assert.equal(exit, 0);
    }
  });
});
