#!/usr/bin/env node
/**
 * The import graph of the workspace packages, and the layering rules it must keep (run by `npm test`).
 *
 *   node scripts/import-graph.mjs            check; print the violations and exit 1 if there are any
 *   node scripts/import-graph.mjs --print    also print the graph (one line per package: what it imports)
 *   node scripts/import-graph.mjs --mermaid  print the graph as a Mermaid flowchart
 *
 * Only a package's shipped sources (`src/`, minus test suites) count; tests, bench, demo and test-support may
 * wire tiers together. The rules (see ../README.md, "Packages"):
 *   1. relay and inference-bridge never import each other, directly or through another package;
 *   2. no package imports the composition root (stack) or the simulator (vllm-sim), but the stack itself;
 *   3. the graph has no cycle;
 *   4. a package imports only workspace packages it declares as dependencies, and only through their
 *      `exports` (no `@locallightchat/x/src/...`, no relative path out of its own folder).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCOPE = '@locallightchat/';
/** Packages only tests, bench, demo and the stack may import. */
const COMPOSITION_ONLY = new Set(['stack', 'vllm-sim']);
/** Pairs that must stay unconnected in both directions. */
const SEPARATED = [['relay', 'inference-bridge']];

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function sourceFiles(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Specifiers imported by a source file (static, re-exports and dynamic imports), comments stripped. */
export function importsOf(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Reads every package under `<root>/packages`: name, declared dependencies, exports, imports of its src. */
export function readPackages(root) {
  const packagesDir = join(root, 'packages');
  const packages = new Map();
  for (const folder of readdirSync(packagesDir)) {
    const manifest = join(packagesDir, folder, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    const short = pkg.name.startsWith(SCOPE) ? pkg.name.slice(SCOPE.length) : pkg.name;
    const srcDir = join(packagesDir, folder, 'src');
    const files = sourceFiles(srcDir).map((file) => ({
      file: relative(root, file),
      specifiers: importsOf(readFileSync(file, 'utf8')),
    }));
    packages.set(short, {
      name: short,
      dir: join(packagesDir, folder),
      dependencies: new Set(
        Object.keys(pkg.dependencies ?? {})
          .filter((d) => d.startsWith(SCOPE))
          .map((d) => d.slice(SCOPE.length)),
      ),
      exports: new Set(Object.keys(pkg.exports ?? { '.': '' })),
      files,
    });
  }
  return packages;
}

/** Checks the rules; returns `{ edges, violations }` where edges maps a package to the packages it imports. */
export function checkGraph(packages) {
  const violations = [];
  const edges = new Map([...packages.keys()].map((name) => [name, new Set()]));
  for (const pkg of packages.values()) {
    for (const { file, specifiers } of pkg.files) {
      for (const spec of specifiers) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(join(pkg.dir, '..', '..', file)), spec);
          if (!target.startsWith(pkg.dir + '/'))
            violations.push(`${file}: "${spec}" reaches out of the package folder`);
          continue;
        }
        if (!spec.startsWith(SCOPE)) continue;
        const [name, ...rest] = spec.slice(SCOPE.length).split('/');
        const subpath = rest.length ? `./${rest.join('/')}` : '.';
        if (name === pkg.name) {
          violations.push(`${file}: imports its own package by name ("${spec}")`);
          continue;
        }
        edges.get(pkg.name)?.add(name);
        const target = packages.get(name);
        if (!target) continue; // test-support and other private workspaces are not packages of the product
        if (!pkg.dependencies.has(name))
          violations.push(`${file}: imports ${SCOPE}${name}, which ${pkg.name}/package.json does not declare`);
        if (!target.exports.has(subpath))
          violations.push(
            `${file}: "${spec}" is not a public entry of ${name} (its exports: ${[...target.exports].join(', ')})`,
          );
        if (COMPOSITION_ONLY.has(name) && pkg.name !== 'stack') {
          violations.push(
            `${file}: ${pkg.name} imports ${name}, which only the stack, tests, bench and the demo may import`,
          );
        }
      }
    }
  }
  const reach = (from) => {
    const seen = new Set();
    const stack = [...(edges.get(from) ?? [])];
    while (stack.length) {
      const next = stack.pop();
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(edges.get(next) ?? []));
    }
    return seen;
  };
  for (const [a, b] of SEPARATED) {
    if (reach(a).has(b))
      violations.push(`${a} reaches ${b} through its imports: the two meet only through the broker and the protocol`);
    if (reach(b).has(a))
      violations.push(`${b} reaches ${a} through its imports: the two meet only through the broker and the protocol`);
  }
  for (const name of edges.keys()) if (reach(name).has(name)) violations.push(`${name} imports itself through a cycle`);
  return { edges, violations };
}

/** Packages in layers: each one above everything it imports. */
export function layers(edges) {
  const level = new Map();
  const depth = (name, path = new Set()) => {
    if (level.has(name)) return level.get(name);
    if (path.has(name)) return 0; // a cycle, reported by checkGraph
    path.add(name);
    const d = Math.max(-1, ...[...(edges.get(name) ?? [])].filter((n) => edges.has(n)).map((n) => depth(n, path))) + 1;
    path.delete(name);
    level.set(name, d);
    return d;
  };
  for (const name of edges.keys()) depth(name);
  const out = [];
  for (const [name, d] of level) (out[d] ??= []).push(name);
  return out.map((names) => names.sort());
}

function main() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const { edges, violations } = checkGraph(readPackages(root));
  const args = process.argv.slice(2);
  if (args.includes('--mermaid')) {
    console.log('flowchart BT');
    for (const [from, tos] of edges)
      for (const to of [...tos].sort())
        console.log(`  ${from.replace(/-/g, '_')}[${from}] --> ${to.replace(/-/g, '_')}[${to}]`);
  } else if (args.includes('--print')) {
    layers(edges).forEach((names, i) => {
      for (const name of names)
        console.log(`layer ${i}  ${name.padEnd(17)} → ${[...edges.get(name)].sort().join(', ') || '—'}`);
    });
  }
  if (violations.length) {
    console.error(`import graph: ${violations.length} violation(s)`);
    for (const v of violations) console.error(`  ${v}`);
    process.exit(1);
  }
  console.log(
    `import graph: ${edges.size} packages, ${[...edges.values()].reduce((n, s) => n + s.size, 0)} edges, rules kept`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
