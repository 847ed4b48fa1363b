/**
 * Publishability of every workspace package that is not private (picked up from the root's workspaces, so a new
 * package is checked without an edit here): the metadata a registry needs, no unused dependency, the exact file
 * list of `npm pack` and of `npm publish --dry-run`, and — from the tarballs alone, installed into a fresh project
 * outside the repository — every export imports in Node, the declarations type-check in a strict consumer
 * project, and every bin runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  packedWorkspaces,
  publishableWorkspaces,
  type PackedWorkspaces,
  type WorkspacePackage,
} from '@locallightchat/test-support/packed';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const workspaces = publishableWorkspaces();

/**
 * Files a package ships beyond the rule every package follows (package.json, LICENSE, CHANGELOG.md, README.md
 * when it has one, its bins, all of `src/` for the source maps, and for each `src/X.ts` exactly `dist/X.js`,
 * `.js.map`, `.d.ts`, `.d.ts.map`). The elements add their manifest and the CDN bundle with its two workers and its
 * math chunk, and the bundle's on-demand chunks (`dist-bundle/chunks/`, content-hashed names: see `bundleChunks`).
 */
const EXTRA_FILES: Record<string, string[]> = {
  '@locallightchat/elements': [
    'custom-elements.json',
    'dist-bundle/highlight-worker.js',
    'dist-bundle/llc-elements.min.js',
    'dist-bundle/llc-math.js',
    // Mermaid's entry (its diagram types are content-hashed chunks under dist-bundle/chunks/mermaid/).
    'dist-bundle/llc-mermaid.js',
    'dist-bundle/shared-worker.js',
    // Framework typings generated from custom-elements.json (scripts/framework-types.mjs), types-only modules.
    ...['jsx', 'vue', 'svelte'].flatMap((f) => [`dist/frameworks/${f}.d.ts`, `dist/frameworks/${f}.js`]),
  ],
};

/**
 * Dependencies declared ahead of the code that imports them, each with its reason. Keep this empty: an entry here
 * ships an unused dependency to every user.
 */
const NOT_YET_IMPORTED: Record<string, string[]> = {
  // Declared by the --config work for the JSON logger that the operations work (issue 13) is wiring in.
  '@locallightchat/cli-kit': ['pino'],
};

/** Export subpaths that cannot be evaluated in Node (browser-only code): only resolved there, never imported. */
const BROWSER_ONLY_EXPORTS = new Set<string>([]);

/** Types-only export subpaths (framework typings): they import in Node but export nothing. */
const TYPES_ONLY_EXPORTS = ['jsx', 'vue', 'svelte'].map((f) => `@locallightchat/elements/${f}`);

/**
 * Typings for frameworks the consumer project here does not install: their declarations import `vue` /
 * `svelte/elements`, so they are type-checked in examples/vue and examples/svelte (e2e/examples.e2e.ts) instead.
 */
const CHECKED_IN_EXAMPLES = new Set(['@locallightchat/elements/vue', '@locallightchat/elements/svelte']);

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, base, out);
    else out.push(relative(base, path));
  }
  return out;
}

/**
 * The chunks the elements' bundle loads with `import()`, as its last build (the prepack) wrote them: every one
 * must ship, or the CDN bundle breaks in the mode that needs it. Their names carry content hashes.
 */
function bundleChunks(pkg: WorkspacePackage): string[] {
  const dir = join(pkg.dir, 'dist-bundle/chunks');
  if (pkg.name !== '@locallightchat/elements' || !existsSync(dir)) return [];
  return walk(dir).map((file) => `dist-bundle/chunks/${file}`);
}

/** The files a package is meant to publish (see EXTRA_FILES), sorted. */
function intendedFiles(pkg: WorkspacePackage): string[] {
  const files = ['package.json', 'LICENSE', 'CHANGELOG.md', ...(EXTRA_FILES[pkg.name] ?? []), ...bundleChunks(pkg)];
  if (existsSync(join(pkg.dir, 'README.md'))) files.push('README.md');
  for (const bin of Object.values(pkg.manifest.bin ?? {})) files.push(bin.replace(/^\.\//, ''));
  for (const source of walk(join(pkg.dir, 'src'))) {
    files.push(`src/${source}`);
    if (source.endsWith('.d.ts') || !source.endsWith('.ts')) continue;
    const stem = `dist/${source.slice(0, -'.ts'.length)}`;
    files.push(`${stem}.js`, `${stem}.js.map`, `${stem}.d.ts`, `${stem}.d.ts.map`);
  }
  return [...new Set(files)].sort();
}

/** "a, b" listing of what `actual` has beyond `expected` and what it lacks. */
function difference(actual: string[], expected: string[]): { extra: string[]; missing: string[] } {
  return {
    extra: actual.filter((f) => !expected.includes(f)),
    missing: expected.filter((f) => !actual.includes(f)),
  };
}

/** Every export subpath that names one module (not `./package.json`, not a `*` pattern), as a specifier. */
function exportSpecifiers(pkg: WorkspacePackage): string[] {
  return Object.keys(pkg.manifest.exports ?? { '.': '' })
    .filter((sub) => !sub.includes('*') && !sub.endsWith('package.json'))
    .map((sub) => pkg.name + sub.slice(1));
}

describe('package metadata (every publishable workspace package)', () => {
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    repository: { url: string };
  };

  it('finds the packages from the root workspaces', () => {
    assert.ok(workspaces.length >= 9, `found ${workspaces.map((w) => w.name).join(', ')}`);
    assert.ok(workspaces.every((w) => w.name.startsWith('@locallightchat/')));
  });

  for (const pkg of workspaces) {
    it(`${pkg.name}: MIT LICENSE, CHANGELOG, public access, repository, homepage, keywords`, () => {
      const m = pkg.manifest;
      assert.equal(m.license, 'MIT');
      assert.equal(readFileSync(join(pkg.dir, 'LICENSE'), 'utf8'), license, 'LICENSE is the root LICENSE');
      assert.match(readFileSync(join(pkg.dir, 'CHANGELOG.md'), 'utf8'), new RegExp(`^# ${m.name}\\n`));
      assert.equal(m.publishConfig?.access, 'public', 'a scoped package publishes as restricted without it');
      const repository = m.repository as { url: string; directory: string };
      assert.equal(repository.url, rootManifest.repository.url);
      assert.equal(repository.directory, relative(root, pkg.dir));
      assert.match(String(m.homepage), /^https:\/\//);
      assert.ok(Array.isArray(m.keywords) && m.keywords.length >= 3);
    });

    it(`${pkg.name}: every dependency is imported by its sources or bins`, () => {
      const sources = walk(join(pkg.dir, 'src'))
        .filter((f) => !f.endsWith('.test.ts'))
        .map((f) => join(pkg.dir, 'src', f));
      const bins = Object.values(pkg.manifest.bin ?? {}).map((b) => join(pkg.dir, b));
      const text = [...sources, ...bins].map((f) => readFileSync(f, 'utf8')).join('\n');
      const imported = (name: string) =>
        new RegExp(
          `(?:from|import\\(|import|require\\()\\s*['"]${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?:['"/])`,
        ).test(text);
      for (const dep of Object.keys(pkg.manifest.dependencies ?? {})) {
        if (NOT_YET_IMPORTED[pkg.name]?.includes(dep)) continue;
        // @types/x ships the declarations our .d.ts files reference when they import x.
        const module = dep.startsWith('@types/') ? dep.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2') : dep;
        assert.ok(imported(module), `${pkg.name} declares ${dep} but nothing in src/ or bin/ imports it`);
      }
    });
  }
});

/** `tsc -p dir`: its error lines outside third-party declarations (ours), and its whole output. */
async function typeErrors(dir: string): Promise<{ ours: string[]; output: string }> {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const output = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(
    (r) => r.stdout,
    (error: { stdout: string }) => error.stdout,
  );
  // Errors inside third-party declarations (ioredis references untyped redis-errors) are theirs, not ours.
  const ours = output
    .split('\n')
    .filter((line) => /error TS/.test(line))
    .filter((line) => !/node_modules\/(?!@locallightchat\/)/.test(line.split('(')[0]!));
  return { ours, output };
}

describe('packed tarballs, installed into a fresh project', () => {
  let packed: PackedWorkspaces;

  before(async () => {
    packed = await packedWorkspaces();
  });

  after(() => {
    if (packed?.owned) rmSync(packed.dir, { recursive: true, force: true });
  });

  it('npm pack ships exactly the intended files of each package', () => {
    assert.deepEqual(
      packed.packages.map((p) => p.name),
      workspaces.map((w) => w.name),
    );
    for (const pkg of packed.packages) {
      const { extra, missing } = difference(pkg.files, intendedFiles(pkg));
      assert.deepEqual(
        { extra, missing },
        { extra: [], missing: [] },
        `${pkg.name}: files differ from the intended list (stale dist/? rm -rf ${relative(root, pkg.dir)}/dist && npx tsc -b)`,
      );
    }
  });

  it('npm publish --dry-run lists exactly the intended files of each package', async () => {
    const { stdout } = await run(
      'npm',
      ['publish', '--dry-run', '--json', '--ignore-scripts', '--offline', ...workspaces.flatMap((w) => ['-w', w.name])],
      { cwd: root, env: { ...process.env, npm_config_loglevel: 'error' }, maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout) as Record<string, { files: { path: string }[] }>;
    for (const pkg of workspaces) {
      const files = report[pkg.name]?.files.map((f) => f.path).sort();
      assert.ok(files, `no dry-run report for ${pkg.name}`);
      const { extra, missing } = difference(files, intendedFiles(pkg));
      assert.deepEqual({ extra, missing }, { extra: [], missing: [] }, `${pkg.name}: publish --dry-run`);
    }
  });

  it('installs copies of the tarballs, not links into the workspace', () => {
    for (const pkg of packed.packages) {
      const installed = join(packed.project, 'node_modules', pkg.name);
      assert.equal(lstatSync(installed).isSymbolicLink(), false, `${pkg.name} is a link`);
      assert.ok(existsSync(join(installed, 'package.json')));
    }
  });

  it('every export imports in Node from the tarballs alone', async () => {
    const specifiers = packed.packages.flatMap(exportSpecifiers);
    const script = `
      const failures = [];
      for (const spec of ${JSON.stringify(specifiers)}) {
        try {
          const url = import.meta.resolve(spec);
          if (${JSON.stringify([...BROWSER_ONLY_EXPORTS])}.includes(spec)) continue;
          const mod = await import(url);
          if (Object.keys(mod).length === 0 && !spec.endsWith('/shared-worker') && !${JSON.stringify(TYPES_ONLY_EXPORTS)}.includes(spec)) failures.push(spec + ': no exports');
        } catch (error) {
          failures.push(spec + ': ' + error);
        }
      }
      console.log(JSON.stringify(failures));
      process.exit(0);
    `;
    writeFileSync(join(packed.project, 'import-all.mjs'), script);
    const { stdout } = await run(process.execPath, ['import-all.mjs'], { cwd: packed.project });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), []);
    assert.ok(specifiers.length >= 20, `checked ${specifiers.length} exports`);
    // The CDN files resolve through the elements' dist-bundle export too (for bundlers that copy the workers).
    const bundle = join(packed.project, 'node_modules/@locallightchat/elements/dist-bundle');
    for (const file of EXTRA_FILES['@locallightchat/elements']!.filter((f) => f.startsWith('dist-bundle/')))
      assert.ok(statSync(join(bundle, file.slice('dist-bundle/'.length))).size > 1000, file);
  });

  it('the declarations type-check in a strict consumer project (every export, plus typical uses)', async () => {
    const dir = join(packed.project, 'typecheck');
    mkdirSync(dir, { recursive: true });
    const specifiers = packed.packages.flatMap(exportSpecifiers).filter((s) => !CHECKED_IN_EXAMPLES.has(s));
    writeFileSync(
      join(dir, 'all.ts'),
      specifiers.map((s, i) => `import * as m${i} from '${s}';`).join('\n') +
        `\nexport const all = [${specifiers.map((_, i) => `m${i}`).join(', ')}];\n`,
    );
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import { LlcClient } from '@locallightchat/client';",
        "import type { LlcChat } from '@locallightchat/elements';",
        "import { startEmbeddedStack } from '@locallightchat/stack';",
        "const chat: LlcChat = document.createElement('llc-chat');",
        'chat.relayUrl = "wss://chat.example.com/ws";',
        'export const uses = [LlcClient, startEmbeddedStack, chat];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          types: ['node'],
          noEmit: true,
          skipLibCheck: false,
        },
        include: ['*.ts'],
      }),
    );
    const { ours, output } = await typeErrors(dir);
    assert.deepEqual(ours, [], output);
  });

  it('@locallightchat/elements/jsx types the elements in React JSX: right uses pass, wrong ones fail', async () => {
    const dir = join(packed.project, 'typecheck-jsx');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'ok.tsx'),
      [
        "import type {} from '@locallightchat/elements/jsx';",
        "import type { LlcElementEventMap } from '@locallightchat/elements';",
        "const onSend = (event: LlcElementEventMap['llc-send']) => event.detail.text.length;",
        'export const ok = (',
        '  <main>',
        '    <llc-chat dev token-url="/auth/dev-token" tokenUrl="/t" theme="dark" image-origins="https://a.example"',
        '      imageOrigins={[\'https://a.example\']} onllc-send={onSend} onllc-stop={(e) => e.detail} className="c" />',
        '    <llc-message role-name="assistant" text="hi" />',
        '    <llc-conversation-list onllc-conversation-select={(e) => e.detail.conversationId.length} />',
        '  </main>',
        ');',
        '',
      ].join('\n'),
    );
    // Each line one mistake: a number for a string attribute, a property's wrong type, a value outside a union,
    // a detail field that does not exist, a read-only getter set, a property no element has.
    const wrong = [
      '<llc-chat token-url={42} />',
      '<llc-chat sidebar="yes" />',
      '<llc-chat theme="blue" />',
      '<llc-chat onllc-send={(e) => e.detail.nope} />',
      '<llc-message-list items={[]} />',
      '<llc-status relayUrl="/ws" />',
    ];
    writeFileSync(
      join(dir, 'wrong.tsx'),
      [
        "import type {} from '@locallightchat/elements/jsx';",
        ...wrong.map((jsx, i) => `export const w${i} = ${jsx};`),
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'esnext',
          moduleResolution: 'bundler',
          target: 'es2022',
          jsx: 'react-jsx',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          types: [],
          noEmit: true,
          skipLibCheck: false,
        },
        include: ['*.tsx'],
      }),
    );
    const { ours, output } = await typeErrors(dir);
    assert.deepEqual(
      ours.filter((line) => !line.startsWith('wrong.tsx')),
      [],
      `the right uses and the generated typings type-check:\n${output}`,
    );
    const lines = new Set(ours.map((line) => Number(/^wrong\.tsx\((\d+),/.exec(line)?.[1])));
    assert.deepEqual(
      [...lines].sort((a, b) => a - b),
      wrong.map((_, i) => i + 2),
      `each wrong use is an error:\n${output}`,
    );
  });

  it('every bin runs from the tarballs (--help)', async () => {
    const bins = packed.packages.flatMap((p) => Object.keys(p.manifest.bin ?? {}));
    assert.ok(bins.length >= 3, `bins: ${bins.join(', ')}`);
    for (const bin of bins) {
      const { stdout } = await run(join(packed.project, 'node_modules/.bin', bin), ['--help'], {
        cwd: packed.project,
      });
      assert.match(stdout, new RegExp(`^Usage: ${bin} `, 'm'), bin);
    }
  });
});
