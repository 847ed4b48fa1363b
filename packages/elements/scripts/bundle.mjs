#!/usr/bin/env node
/**
 * Single-file ESM bundle of the client + elements for a plain `<script type="module">`:
 *   dist-bundle/llc-elements.min.js   everything, highlighter included (loaded lazily at run time)
 * and, beside it, the two worker scripts the bundle finds through `new URL('./…', import.meta.url)`:
 *   dist-bundle/shared-worker.js      the connection shared by all tabs (without it: a leader tab instead)
 *   dist-bundle/highlight-worker.js   highlighting of large code blocks (without it: inline up to 8k chars)
 *   dist-bundle/llc-math.js           KaTeX, imported by the bundle on the first formula (without it: TeX source)
 * Prints min and min+gzip sizes, also of a build without the highlighter (the size budget excludes it).
 *
 *   npm run bundle -w @locallightchat/elements
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { writeResult } from '../bench/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outdir = join(root, 'dist-bundle');
mkdirSync(outdir, { recursive: true });

/**
 * markdown-it imports two decoders from `entities`, whose table of all named references is 22 KB after gzip.
 * They are replaced by ours, which asks the browser's HTML parser instead (src/markdown/browser-entity-decoder.ts;
 * a browser test checks it decodes every reference exactly as `entities` does).
 */
const entitiesFromBrowser = {
  name: 'entities-from-browser',
  setup(b) {
    b.onResolve({ filter: /^entities$/ }, () => ({ path: join(root, 'src/markdown/browser-entity-decoder.ts') }));
  },
};

/**
 * KaTeX is never part of the first load: the bundle imports `./llc-math.js` (a sibling file, built below from
 * src/math/katex-render.ts) on the first formula, as the demo's vite build makes it a chunk of its own.
 */
const mathChunk = {
  name: 'math-chunk',
  setup(b) {
    b.onResolve({ filter: /\/katex-render\.js$/ }, () => ({ path: './llc-math.js', external: true }));
  },
};

const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  platform: 'browser',
  conditions: ['llc-source'],
  // @tanstack/virtual-core and lit read NODE_ENV; a browser has no `process`.
  define: { 'process.env.NODE_ENV': '"production"' },
  tsconfig: join(root, 'tsconfig.json'),
  legalComments: 'eof',
  plugins: [entitiesFromBrowser, mathChunk],
  write: false,
  logLevel: 'warning',
};

/** Replaces the lazily imported highlighter with nothing, to measure the bundle without it. */
const noHighlighter = {
  name: 'no-highlighter',
  setup(b) {
    b.onResolve({ filter: /\/highlight\.js$/ }, () => ({ path: 'highlight', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export function highlight() { return undefined; }',
      loader: 'js',
    }));
  },
};

function sizes(bytes) {
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const full = await build({ ...common });
const file = join(outdir, 'llc-elements.min.js');
writeFileSync(file, full.outputFiles[0].contents);
const lean = await build({ ...common, plugins: [entitiesFromBrowser, mathChunk, noHighlighter], metafile: true });
const mathOut = await build({ ...common, entryPoints: [join(root, 'src/math/katex-render.ts')], plugins: [] });
writeFileSync(join(outdir, 'llc-math.js'), mathOut.outputFiles[0].contents);
if (/KaTeX parse error/.test(readFileSync(file, 'utf8')))
  throw new Error('KaTeX ended up in llc-elements.min.js: it must stay in llc-math.js (first load)');
const workers = {
  'shared-worker.js': join(root, '../client/src/links/shared-worker.ts'),
  'highlight-worker.js': join(root, 'src/code/highlight-worker.ts'),
};
for (const [name, entry] of Object.entries(workers)) {
  const out = await build({ ...common, entryPoints: [entry] });
  writeFileSync(join(outdir, name), out.outputFiles[0].contents);
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const a = sizes(readFileSync(file));
const b = sizes(lean.outputFiles[0].contents);
console.log(`llc-elements.min.js (client + elements, with highlighter): ${kb(a.min)} min, ${kb(a.gzip)} min+gzip`);
console.log(`without the highlighter:                                   ${kb(b.min)} min, ${kb(b.gzip)} min+gzip`);
for (const name of [...Object.keys(workers), 'llc-math.js']) {
  const w = sizes(readFileSync(join(outdir, name)));
  console.log(`${name.padEnd(58)} ${kb(w.min)} min, ${kb(w.gzip)} min+gzip (loaded only when used)`);
}
const m = sizes(readFileSync(join(outdir, 'llc-math.js')));

// Where the bytes are (minified, before gzip), by package or by our source folder.
const parts = new Map();
for (const [path, input] of Object.entries(Object.values(lean.metafile.outputs)[0].inputs)) {
  const pkg =
    /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ??
    `ours: ${path
      .replace(/^(\.\.\/)+/, '')
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  parts.set(pkg, (parts.get(pkg) ?? 0) + input.bytesInOutput);
}
console.log('\nwithout the highlighter, by part (minified):');
for (const [name, bytes] of [...parts].sort((x, y) => y[1] - x[1]))
  if (bytes >= 1024) console.log(`  ${kb(bytes).padStart(9)}  ${name}`);

// The floor: only the libraries the design prescribes (Lit + @lit/context for the components, DOMPurify for
// sanitising, @tanstack/virtual-core for the history, msgpackr for the wire codec, idb for the outbox), each
// imported as our code imports it, and nothing of ours, no markdown parser.
const floorSource = [
  "export { LitElement, html, css, nothing } from 'lit';",
  "export { customElement, property, state, query } from 'lit/decorators.js';",
  "export { ContextProvider, ContextConsumer, createContext, consume, provide } from '@lit/context';",
  "export { default as DOMPurify } from 'dompurify';",
  "export { Virtualizer, elementScroll, observeElementRect, observeElementOffset } from '@tanstack/virtual-core';",
  "export { Packr, Unpackr } from 'msgpackr';",
  "export { openDB } from 'idb';",
].join('\n');
const floor = await build({
  ...common,
  entryPoints: undefined,
  stdin: { contents: floorSource, resolveDir: root, loader: 'js' },
  plugins: [],
});
const f = sizes(floor.outputFiles[0].contents);
console.log(
  `\nthe prescribed libraries alone (Lit, @lit/context, DOMPurify, virtual-core, msgpackr, idb): ${kb(f.min)} min, ${kb(f.gzip)} min+gzip`,
);

// Our code alone: client + protocol + elements with every third-party package left external.
const externalLibraries = {
  name: 'external-libraries',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@locallightchat/') ? undefined : { path: args.path, external: true },
    );
  },
};
const own = await build({ ...common, plugins: [mathChunk, noHighlighter, externalLibraries] });
const o = sizes(own.outputFiles[0].contents);
console.log(
  `our code alone (client, protocol, elements; libraries external):                     ${kb(o.min)} min, ${kb(o.gzip)} min+gzip`,
);

writeResult('bundle-size', {
  title: 'Client + elements bundle size',
  command: 'node packages/elements/scripts/bundle.mjs',
  json: { full: a, lean: b, floor: f, own: o, math: m },
  body: [
    'esbuild, minified, ES2022, gzip level 9. "Without the highlighter" is the size the goal counts (highlight.js loads lazily).',
    '',
    '| build | min | min+gzip |',
    '|---|---|---|',
    `| llc-elements.min.js, with the highlighter | ${kb(a.min)} | ${kb(a.gzip)} |`,
    `| without the highlighter | ${kb(b.min)} | **${kb(b.gzip)}** |`,
    `| llc-math.js (KaTeX; loaded on the first formula, never at first load) | ${kb(m.min)} | ${kb(m.gzip)} |`,
    `| the prescribed libraries alone (Lit, @lit/context, DOMPurify, virtual-core, msgpackr, idb) | ${kb(f.min)} | ${kb(f.gzip)} |`,
    `| our own code alone (client, protocol, elements) | ${kb(o.min)} | ${kb(o.gzip)} |`,
  ].join('\n'),
});
