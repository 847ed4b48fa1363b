/**
 * deploy/observability: the Grafana dashboard has the structure Grafana loads (panels with ids, grid positions,
 * Prometheus targets), the alert rules parse as Prometheus rule groups, and every metric either queries is exported
 * by a running stack — llc-relay and llc-bridge as processes over NATS with a simulator, scraped after one answer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { startNats, startProcess } from '@locallightchat/test-support';
import { ProtocolClient } from '@locallightchat/test-support/client';
import { startSimulator } from '@locallightchat/vllm-sim';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const relayCli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const bridgeCli = ['--conditions=llc-source', '--import', 'tsx', 'packages/inference-bridge/src/cli/bridge-cli.ts'];

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: string };
  targets: { refId: string; expr: string }[];
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}

const dashboard = JSON.parse(readFileSync(`${root}deploy/observability/grafana-dashboard.json`, 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};
const rules = parse(readFileSync(`${root}deploy/observability/alerts.yaml`, 'utf8')) as {
  groups: { name: string; rules: Rule[] }[];
};

/** Metric families an expression names: llc_* identifiers, with a histogram's _bucket/_sum/_count suffix removed. */
function families(expr: string): string[] {
  return [...expr.matchAll(/\bllc_[a-z_]+\b/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

describe('deploy/observability', () => {
  it('the dashboard has the structure Grafana expects, and covers what operators watch', () => {
    assert.equal(typeof dashboard.uid, 'string');
    assert.ok(dashboard.schemaVersion >= 30);
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    const ids = new Set<number>();
    for (const p of dashboard.panels) {
      assert.ok(Number.isInteger(p.id) && !ids.has(p.id), `unique id ${p.id}`);
      ids.add(p.id);
      assert.equal(p.type, 'timeseries');
      assert.ok(
        p.gridPos.w > 0 && p.gridPos.h > 0 && p.gridPos.x + p.gridPos.w <= 24,
        `${p.title} fits the 24-column grid`,
      );
      assert.equal(p.datasource.type, 'prometheus');
      assert.ok(p.targets.length > 0 && p.targets.every((t) => /^[A-Z]$/.test(t.refId) && t.expr.length > 0));
    }
    const all = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const needed of [
      'llc_relay_connections',
      'llc_relay_first_token_seconds_bucket',
      'llc_relay_frames_sent_total',
      'llc_relay_backpressure_events_total',
      'llc_relay_slow_consumer_closes_total',
      'llc_relay_budget_refusals_total',
      'llc_bridge_queue_depth',
      'llc_bridge_breaker_state',
      'llc_bridge_failovers_total',
    ])
      assert.ok(all.includes(needed), `a panel queries ${needed}`);
  });

  it('the alert rules are Prometheus rule groups with severities and summaries', () => {
    const names = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const g of rules.groups)
      for (const r of g.rules) {
        assert.match(r.alert, /^Llc[A-Za-z0-9]+$/);
        assert.ok(r.expr.trim().length > 0 && ['warning', 'critical'].includes(r.labels.severity), r.alert);
        assert.ok(r.annotations.summary.length > 0, r.alert);
        if (r.for) assert.match(r.for, /^\d+[smh]$/);
      }
    for (const needed of ['LlcRelayConnectionsHigh', 'LlcTtftP95High', 'LlcTtftP50High', 'LlcReconnectRateHigh'])
      assert.ok(names.includes(needed), needed);
    for (const needed of ['LlcBridgeQueueDeep', 'LlcBridgeErrorRate', 'LlcRelayErrorRate'])
      assert.ok(names.includes(needed), needed);
  });

  it('every metric the dashboard and the rules query is exported by a running relay and bridge', async () => {
    const nats = await startNats();
    const sim = await startSimulator({ profile: 'fast' });
    // Started inside the try: a bridge that never becomes ready must not leave NATS and the simulator running
    // (they would keep this file's process, and `npm test`, alive).
    let bridge: Awaited<ReturnType<typeof startProcess>> | undefined;
    let relay: Awaited<ReturnType<typeof startProcess>> | undefined;
    try {
      bridge = await startProcess(
        process.execPath,
        [
          ...bridgeCli,
          '--broker',
          nats.url,
          '--backend-url',
          sim.url,
          '--metrics-port',
          '0',
          '--metrics-host',
          '127.0.0.1',
        ],
        { cwd: root, ready: /llc-bridge ready: .*metrics on :(\d+)\/metrics/, timeoutMs: 60_000 },
      );
      relay = await startProcess(
        process.execPath,
        [relayCli, '--dev', '--port', '0', '--broker', nats.url, '--bridge', 'none'],
        {
          cwd: root,
          env: { LLC_DEV: '' },
          ready: /llc-relay listening on (http:\/\/\S+) \(WebSocket (ws:\/\/\S+);/,
        },
      );
      const httpUrl = relay.match[1]!;
      const minted = await fetch(`${httpUrl}/auth/dev-token`, {
        method: 'POST',
        body: JSON.stringify({ user: 'obs' }),
      });
      const { token } = (await minted.json()) as { token: string };
      const client = await ProtocolClient.connect(relay.match[2]!, token);
      client.send({ type: 'send', clientMessageId: 'obs-1', conversationId: 'obs-conv', text: 'Hello' });
      await client.next('stream-end', 0, 30_000);
      client.ws.close();
      const exported = [
        await (await fetch(`${httpUrl}/metrics`)).text(),
        await (await fetch(`http://127.0.0.1:${bridge.match[1]}/metrics`)).text(),
      ].join('\n');
      const queried = new Set([
        ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => families(t.expr))),
        ...rules.groups.flatMap((g) => g.rules.flatMap((r) => families(r.expr))),
      ]);
      assert.ok(queried.size >= 15, `${queried.size} metric families queried`);
      const missing = [...queried].filter((name) => !new RegExp(`^# TYPE ${name} `, 'm').test(exported));
      assert.deepEqual(missing, [], 'every queried metric family is exported');
      assert.match(
        exported,
        /^llc_bridge_breaker_state\{backend="[^"]+"\} 0$/m,
        'the breaker gauge has a closed backend',
      );
    } finally {
      await relay?.stop();
      await bridge?.stop();
      await sim.close();
      await nats.stop();
    }
  });
});
