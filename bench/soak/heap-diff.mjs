#!/usr/bin/env node
/**
 * What grew between two V8 heap snapshots (e.g. the relay's, written by `run-soak.mjs --heap-snapshots 3,11`):
 * live objects counted by node type and constructor name (a snapshot is taken after a full GC, so only what is
 * still reachable counts), and the rows whose count or self size changed most. No dependency: the
 * .heapsnapshot format is a flat JSON array of nodes described by its `snapshot.meta`.
 *
 *   node bench/soak/heap-diff.mjs A.heapsnapshot B.heapsnapshot [--top 30] [--retainers OpenConversation]
 *
 * `--retainers NAME`: what holds the objects of constructor NAME in B (the retaining object's constructor and
 * the edge's name, counted), to tell which structure keeps what grew.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const files = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const option = (name) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const TOP = Number(option('top') ?? 30);
const RETAINED = option('retainers');
if (files.length !== 2) {
  console.error('usage: heap-diff.mjs A.heapsnapshot B.heapsnapshot [--top 30]');
  process.exit(2);
}

/** Map of "type constructor" → {count, size} over every node of the snapshot. */
function census(file, retained) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  if (retained) printRetainers(snapshot, retained);
  const meta = snapshot.snapshot.meta;
  const fields = meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = meta.node_types[typeAt];
  const { nodes, strings } = snapshot;
  const rows = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // Strings and code are named by their content: group them by type alone.
    const name = type === 'object' || type === 'closure' || type === 'native' ? strings[nodes[i + nameAt]] : '';
    const key = `${type} ${name}`.trim();
    const row = rows.get(key) ?? { count: 0, size: 0 };
    row.count++;
    row.size += nodes[i + sizeAt];
    rows.set(key, row);
  }
  return rows;
}

/** Counts the (retainer constructor, edge name) pairs of the edges that point at objects named `name`. */
function printRetainers(snapshot, name) {
  const meta = snapshot.snapshot.meta;
  const width = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const [typeAt, nameAt, edgeCountAt] = ['type', 'name', 'edge_count'].map((f) => meta.node_fields.indexOf(f));
  const [edgeTypeAt, edgeNameAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f));
  const edgeTypes = meta.edge_fields_types?.[edgeTypeAt] ?? meta.edge_types[edgeTypeAt];
  const { nodes, edges, strings } = snapshot;
  const counts = new Map();
  for (let node = 0, edge = 0; node < nodes.length; node += width) {
    const from = `${meta.node_types[typeAt][nodes[node + typeAt]]} ${strings[nodes[node + nameAt]]}`.trim();
    for (let k = 0; k < nodes[node + edgeCountAt]; k++, edge += edgeWidth) {
      const to = edges[edge + toAt];
      if (strings[nodes[to + nameAt]] !== name || nodes[to + typeAt] !== meta.node_types[typeAt].indexOf('object'))
        continue;
      const kind = edgeTypes[edges[edge + edgeTypeAt]];
      // Element, hidden and internal edges are numbered (e.g. a Map's table slots): one row for all of them.
      const label = ['element', 'hidden', 'internal'].includes(kind) ? '[n]' : strings[edges[edge + edgeNameAt]];
      const key = `${from} —${kind}:${label}→`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  console.log(`\nRetainers of ${name}\n| retainer —edge→ | count |\n|---|---|`);
  for (const [key, count] of [...counts].sort((p, q) => q[1] - p[1]).slice(0, TOP))
    console.log(`| ${key} | ${count} |`);
}

const [a, b] = files.map((file, i) => census(file, i === 1 ? RETAINED : undefined));
const keys = new Set([...a.keys(), ...b.keys()]);
const diff = [...keys].map((key) => {
  const x = a.get(key) ?? { count: 0, size: 0 };
  const y = b.get(key) ?? { count: 0, size: 0 };
  return { key, countA: x.count, countB: y.count, dCount: y.count - x.count, sizeA: x.size, dSize: y.size - x.size };
});
const total = (rows) => [...rows.values()].reduce((s, r) => s + r.size, 0);
const mib = (n) => (n / 2 ** 20).toFixed(2);
console.log(`self size: ${mib(total(a))} MiB → ${mib(total(b))} MiB`);
const print = (title, rows) => {
  console.log(`\n${title}\n| constructor | count A | count B | Δ count | Δ self MiB |\n|---|---|---|---|---|`);
  for (const r of rows.slice(0, TOP))
    console.log(`| ${r.key.slice(0, 60)} | ${r.countA} | ${r.countB} | ${r.dCount} | ${mib(r.dSize)} |`);
};
print(
  'By growth in self size',
  [...diff].sort((p, q) => q.dSize - p.dSize),
);
print(
  'By growth in count',
  [...diff].sort((p, q) => q.dCount - p.dCount),
);
