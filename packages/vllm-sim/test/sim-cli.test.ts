/**
 * `llc-vllm-sim` as a process: the ready line, flags and LLC_SIM_* variables, --help, graceful SIGTERM.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { startProcess } from '@locallightchat/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = ['--conditions=llc-source', '--import', 'tsx', 'packages/vllm-sim/src/cli/sim-cli.ts'];
const READY = /^llc-vllm-sim listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)$/;
const run = promisify(execFile);

function start(args: string[], env: Record<string, string> = {}) {
  return startProcess(process.execPath, [...CLI, ...args], { cwd: root, env, ready: READY });
}

describe('llc-vllm-sim CLI', () => {
  it('prints the ready line with the picked port, honours flags and env, and exits 0 on SIGTERM', async () => {
    const sim = await start(
      ['--port', '0', '--model', 'cli/model', '--max-model-len', '1024', '--scheduling-policy', 'priority'],
      { LLC_SIM_PROFILE: 'fast', LLC_SIM_SPEED: '4' },
    );
    try {
      const url = sim.match[1]!;
      const origin = url.replace(/\/v1$/, '');
      assert.equal((await fetch(`${origin}/health`)).status, 200);
      const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string; max_model_len: number }[] };
      assert.deepEqual(
        models.data.map((m) => [m.id, m.max_model_len]),
        [['cli/model', 1024]],
      );
      const state = (await (await fetch(`${origin}/sim/state`)).json()) as {
        schedulingPolicy: string;
        speed: number;
        profile: { name: string };
      };
      assert.equal(state.schedulingPolicy, 'priority');
      assert.equal(state.speed, 4);
      assert.equal(state.profile.name, 'fast');
      const res = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, priority: 2 }),
      });
      assert.equal(res.status, 200);
      // Exactly one line on stdout: the ready line (notes go to stderr).
      const stdoutLines = sim
        .output()
        .split('\n')
        .filter((l) => l.startsWith('llc-vllm-sim '));
      assert.equal(stdoutLines.length, 1);
    } finally {
      assert.equal(await sim.stop(), 0);
    }
  });

  it('starts with injected faults from flags', async () => {
    const sim = await start([
      '--port',
      '0',
      '--profile',
      'fast',
      '--reject-next',
      '1',
      '--reject-status',
      '429',
      '--retry-after',
      '2',
    ]);
    try {
      const url = sim.match[1]!;
      const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
      const first = await fetch(`${url}/chat/completions`, { method: 'POST', body });
      assert.equal(first.status, 429);
      assert.equal(first.headers.get('retry-after'), '2');
      assert.equal((await fetch(`${url}/chat/completions`, { method: 'POST', body })).status, 200);
    } finally {
      await sim.stop();
    }
  });

  it('documents flags, env variables and profiles in --help', async () => {
    const { stdout } = await run(process.execPath, [...CLI, '--help'], { cwd: root });
    for (const text of [
      '--port',
      'LLC_SIM_PORT',
      '--scheduling-policy',
      '70b-fp8-2xh100',
      '8b-h100',
      '8b-a100',
      'fast',
      '/sim/faults',
    ]) {
      assert.ok(stdout.includes(text), `help mentions ${text}`);
    }
  });

  it('exits 2 on a usage error', async () => {
    await assert.rejects(run(process.execPath, [...CLI, '--profile', 'nope'], { cwd: root }), (error: unknown) => {
      assert.equal((error as { code?: number }).code, 2);
      assert.match((error as { stderr?: string }).stderr ?? '', /unknown simulator profile "nope"/);
      return true;
    });
  });

  it('reads --config (flags override it), prints the effective settings with --print-config, refuses unknown keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-sim-config-'));
    const config = join(dir, 'sim.yaml');
    writeFileSync(config, 'port: 0\nprofile: fast\nmodel: cfg/model\nmax-model-len: 2048\n');
    const sim = await start(['--config', config, '--max-model-len', '1024']);
    try {
      const models = (await (await fetch(`${sim.match[1]!}/models`)).json()) as {
        data: { id: string; max_model_len: number }[];
      };
      assert.deepEqual(
        models.data.map((m) => [m.id, m.max_model_len]),
        [['cfg/model', 1024]],
      );
    } finally {
      assert.equal(await sim.stop(), 0);
    }
    const printed = await run(process.execPath, [...CLI, '--config', config, '--print-config'], {
      cwd: root,
      env: { ...process.env, LLC_SIM_SPEED: '3' },
    });
    assert.match(printed.stdout, /^model: cfg\/model # file$/m);
    assert.match(printed.stdout, /^speed: 3 # env LLC_SIM_SPEED$/m);
    writeFileSync(config, 'profle: fast\n');
    await assert.rejects(run(process.execPath, [...CLI, '--config', config], { cwd: root }), (error: unknown) => {
      assert.equal((error as { code?: number }).code, 2);
      assert.match((error as { stderr?: string }).stderr ?? '', /unknown key "profle" \(did you mean "profile"\?\)/);
      return true;
    });
  });
});
