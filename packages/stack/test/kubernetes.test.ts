/**
 * deploy/k8s, the kustomize base, checked without a cluster (none runs here, and no kubeconform/kubectl installs
 * from the npm registry or Debian 12): every object parses and is well-formed; Services, PDBs, HPAs, NetworkPolicies
 * and the ServiceMonitor select what exists; probes, grace periods and preStop hooks follow the drain timeouts; the
 * embedded config files are accepted by llc-relay and llc-bridge themselves (--print-config refuses unknown keys);
 * nats-server validates the NATS config (-t).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const base = join(root, 'deploy/k8s');
const relayCli = fileURLToPath(new URL('../dist/cli/relay-cli.js', import.meta.url));
const bridgeCli = ['--conditions=llc-source', '--import', 'tsx', 'packages/inference-bridge/src/cli/bridge-cli.ts'];

type Labels = Record<string, string>;
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: { cpu?: string; memory?: string } };
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  containers: Container[];
}

const kustomization = parse(readFileSync(join(base, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const objects: K8sObject[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(base, file), 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors, [], file);
    return doc.toJS() as K8sObject;
  }),
);
const find = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind}/${name}`);
  return found;
};
const podTemplate = (o: K8sObject) =>
  (o.spec as { template: { metadata: { labels: Labels }; spec: PodSpec } }).template;
const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const selects = (selector: Labels, labels: Labels) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const config = find('ConfigMap', 'llc-config').data!;

describe('deploy/k8s', () => {
  it('parses into well-formed objects of the kinds a deployment needs', () => {
    for (const o of objects) {
      assert.match(
        o.apiVersion,
        /^(v1|apps\/v1|policy\/v1|autoscaling\/v2|networking\.k8s\.io\/v1|monitoring\.coreos\.com\/v1)$/,
      );
      assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${o.kind} name`);
    }
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'Deployment',
      'StatefulSet',
      'Service',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'ServiceMonitor',
      'ConfigMap',
      'Secret',
    ])
      assert.ok(kinds.has(kind), kind);
  });

  it('relays and bridges: readiness on /readyz, liveness on /healthz, grace above preStop + drain timeout, requests set', () => {
    for (const [name, configKey] of [
      ['llc-relay', 'relay.yaml'],
      ['llc-bridge', 'bridge.yaml'],
    ] as const) {
      const pod = podTemplate(find('Deployment', name)).spec;
      const c = pod.containers[0]!;
      assert.equal(c.readinessProbe?.httpGet?.path, '/readyz', name);
      assert.equal(c.livenessProbe?.httpGet?.path, '/healthz', name);
      assert.ok(
        c.ports?.some((p) => p.name === c.readinessProbe?.httpGet?.port),
        `${name}: the probe port is declared`,
      );
      const sleep = Number(c.lifecycle?.preStop?.exec?.command.at(-1));
      assert.ok(sleep > 0, `${name}: a preStop sleep`);
      const drainMs = (parse(config[configKey]!) as { 'drain-timeout-ms': number })['drain-timeout-ms'];
      assert.ok(drainMs > 0, `${name}: drain-timeout-ms set in ${configKey}`);
      assert.ok(
        pod.terminationGracePeriodSeconds! > sleep + drainMs / 1000,
        `${name}: grace ${pod.terminationGracePeriodSeconds}s > preStop ${sleep}s + drain ${drainMs / 1000}s`,
      );
      assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${name}: resource requests`);
      assert.deepEqual(c.args, ['--config', `/etc/llc/${configKey}`]);
    }
  });

  it('NATS runs JetStream on 3 replicas with R3 streams configured, and nats-server accepts its config', () => {
    const nats = find('StatefulSet', 'nats');
    assert.equal((nats.spec as { replicas: number }).replicas, 3);
    const conf = find('ConfigMap', 'nats-config').data!['nats.conf']!;
    assert.match(conf, /jetstream \{/);
    assert.equal(conf.match(/nats:\/\/nats-\d\.nats:6222/g)?.length, 3);
    for (const key of ['relay.yaml', 'bridge.yaml'])
      assert.equal((parse(config[key]!) as { 'nats-replicas': number })['nats-replicas'], 3, key);
    const dir = mkdtempSync(join(tmpdir(), 'llc-k8s-'));
    writeFileSync(join(dir, 'nats.conf'), conf.replace('/data', join(dir, 'js')));
    const check = spawnSync('nats-server', ['-t', '-c', join(dir, 'nats.conf')], {
      encoding: 'utf8',
      env: { ...process.env, POD_NAME: 'nats-0' },
    });
    assert.equal(check.status, 0, check.stderr + check.stdout);
  });

  it('Services, PDBs, HPAs, NetworkPolicies and the ServiceMonitor select what exists', () => {
    const podLabels = workloads.map((w) => podTemplate(w).metadata.labels);
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const spec = svc.spec as { selector: Labels; ports: { name: string; targetPort?: string }[] };
      const workload = workloads.find((w) => selects(spec.selector, podTemplate(w).metadata.labels));
      assert.ok(workload, `Service ${svc.metadata.name} selects pods`);
      const declared = podTemplate(workload).spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const p of spec.ports)
        if (p.targetPort) assert.ok(declared.includes(p.targetPort), `${svc.metadata.name}:${p.targetPort}`);
    }
    for (const w of workloads) {
      const labels = podTemplate(w).metadata.labels;
      const pdb = objects.find(
        (o) =>
          o.kind === 'PodDisruptionBudget' &&
          selects((o.spec as { selector: { matchLabels: Labels } }).selector.matchLabels, labels),
      );
      assert.ok(pdb, `a PodDisruptionBudget covers ${w.metadata.name}`);
      const policy = objects.find(
        (o) =>
          o.kind === 'NetworkPolicy' &&
          selects((o.spec as { podSelector: { matchLabels: Labels } }).podSelector.matchLabels, labels),
      );
      assert.ok(policy, `a NetworkPolicy covers ${w.metadata.name}`);
    }
    const hpaMetrics = objects
      .filter((o) => o.kind === 'HorizontalPodAutoscaler')
      .map((o) => {
        const spec = o.spec as {
          scaleTargetRef: { kind: string; name: string };
          metrics: { pods: { metric: { name: string } } }[];
        };
        find(spec.scaleTargetRef.kind, spec.scaleTargetRef.name);
        return spec.metrics[0]!.pods.metric.name;
      });
    assert.deepEqual(hpaMetrics.sort(), ['llc_bridge_queue_depth', 'llc_relay_connections']);
    const monitor = find('ServiceMonitor', 'llc').spec as { endpoints: { port: string }[] };
    const servicePorts = ['llc-relay', 'llc-bridge'].flatMap((n) =>
      (find('Service', n).spec as { ports: { name: string }[] }).ports.map((p) => p.name),
    );
    for (const e of monitor.endpoints) assert.ok(servicePorts.includes(e.port), `ServiceMonitor port ${e.port}`);
    assert.ok(podLabels.length >= 4);
  });

  it('the embedded config files are accepted by llc-relay and llc-bridge (no unknown keys, valid values)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-k8s-config-'));
    writeFileSync(join(dir, 'relay.yaml'), config['relay.yaml']!);
    writeFileSync(join(dir, 'bridge.yaml'), config['bridge.yaml']!);
    const relay = spawnSync(process.execPath, [relayCli, '--config', join(dir, 'relay.yaml'), '--print-config'], {
      encoding: 'utf8',
    });
    assert.equal(relay.status, 0, relay.stderr);
    assert.match(relay.stdout, /^nats-replicas: 3 # file$/m);
    const bridge = spawnSync(process.execPath, [...bridgeCli, '--config', join(dir, 'bridge.yaml'), '--print-config'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(bridge.status, 0, bridge.stderr);
    assert.match(bridge.stdout, /^drain-timeout-ms: 20000 # file$/m);
  });
});
