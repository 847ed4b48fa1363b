/**
 * The import-graph check (scripts/import-graph.mjs): the real tree keeps the rules, and each rule, broken on
 * purpose in a scratch tree, is reported.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkGraph, importsOf, readPackages } from '../import-graph.mjs';

const check = (root: string) => checkGraph(readPackages(root));

/** A scratch workspace: `packages/<name>/package.json` and `src/index.ts` importing `imports`. */
function tree(packages: Record<string, { deps?: string[]; imports?: string[]; exports?: string[] }>): string {
  const root = mkdtempSync(join(tmpdir(), 'llc-graph-'));
  for (const [name, p] of Object.entries(packages)) {
    const dir = join(root, 'packages', name);
    mkdirSync(join(dir, 'src'), { recursive: true });
    const exportsMap = Object.fromEntries((p.exports ?? ['.']).map((e) => [e, './src/index.ts']));
    const dependencies = Object.fromEntries((p.deps ?? []).map((d) => [`@locallightchat/${d}`, '0.1.0']));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `@locallightchat/${name}`, exports: exportsMap, dependencies }),
    );
    writeFileSync(
      join(dir, 'src', 'index.ts'),
      (p.imports ?? []).map((s, i) => `import * as m${i} from '${s}';\n`).join(''),
    );
  }
  return root;
}

function violationsOf(packages: Parameters<typeof tree>[0]): string[] {
  const root = tree(packages);
  try {
    return check(root).violations;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('import graph', () => {
  it('the repository keeps every rule, with relay and inference-bridge unconnected', () => {
    const { edges, violations } = check(fileURLToPath(new URL('../..', import.meta.url)));
    assert.deepEqual(violations, []);
    assert.ok(!edges.get('relay')?.has('inference-bridge'));
    assert.ok(!edges.get('inference-bridge')?.has('relay'));
    assert.ok(
      edges.get('stack')?.has('relay') && edges.get('stack')?.has('inference-bridge'),
      'the stack composes both',
    );
  });

  it('finds static, re-exported, dynamic and side-effect imports, but not those in comments', () => {
    const text = [
      "import { a } from '@locallightchat/protocol';",
      "export { b } from './b.js';",
      "const m = await import('@locallightchat/vllm-sim');",
      "import 'side-effect';",
      "// import { c } from '@locallightchat/stack';",
      "/* import { d } from '@locallightchat/relay'; */",
    ].join('\n');
    assert.deepEqual(importsOf(text), [
      '@locallightchat/protocol',
      './b.js',
      '@locallightchat/vllm-sim',
      'side-effect',
    ]);
  });

  it('reports relay → inference-bridge, directly and through another package', () => {
    const direct = violationsOf({
      relay: { deps: ['inference-bridge'], imports: ['@locallightchat/inference-bridge'] },
      'inference-bridge': {},
    });
    assert.ok(
      direct.some((v) => v.includes('relay reaches inference-bridge')),
      direct.join('\n'),
    );
    const transitive = violationsOf({
      relay: { deps: ['broker'], imports: ['@locallightchat/broker'] },
      broker: { deps: ['inference-bridge'], imports: ['@locallightchat/inference-bridge'] },
      'inference-bridge': {},
    });
    assert.ok(
      transitive.some((v) => v.includes('relay reaches inference-bridge')),
      transitive.join('\n'),
    );
  });

  it('reports a package importing the stack or the simulator, but lets the stack do it', () => {
    const v = violationsOf({
      'inference-bridge': { deps: ['vllm-sim'], imports: ['@locallightchat/vllm-sim'] },
      stack: { deps: ['vllm-sim'], imports: ['@locallightchat/vllm-sim'] },
      'vllm-sim': {},
    });
    assert.equal(v.length, 1, v.join('\n'));
    assert.match(v[0]!, /inference-bridge imports vllm-sim/);
  });

  it('reports cycles, undeclared dependencies, private entries and relative paths out of a package', () => {
    const v = violationsOf({
      a: { deps: ['b'], imports: ['@locallightchat/b', '@locallightchat/c/src/internal.js', '../../b/src/index.js'] },
      b: { deps: ['a'], imports: ['@locallightchat/a'] },
      c: {},
    });
    assert.ok(
      v.some((x) => /a imports itself through a cycle/.test(x)),
      v.join('\n'),
    );
    assert.ok(
      v.some((x) => /does not declare/.test(x)),
      v.join('\n'),
    );
    assert.ok(
      v.some((x) => /not a public entry of c/.test(x)),
      v.join('\n'),
    );
    assert.ok(
      v.some((x) => /reaches out of the package folder/.test(x)),
      v.join('\n'),
    );
  });
});
