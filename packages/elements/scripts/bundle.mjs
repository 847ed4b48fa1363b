#!/usr/bin/env node
/**
 * Single-file ESM bundle of the client + elements for a plain `<script type="module">`:
 *   dist-bundle/llc-elements.min.js   everything, highlighter included (loaded lazily at run time)
 * and prints min and min+gzip sizes, also of a build without the highlighter (the size budget excludes it).
 *
 *   npm run bundle -w @locallightchat/elements
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outdir = join(root, 'dist-bundle');
mkdirSync(outdir, { recursive: true });

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
  write: false,
  logLevel: 'warning',
};

/** Replaces the lazily imported highlighter with nothing, to measure the bundle without it. */
const noHighlighter = {
  name: 'no-highlighter',
  setup(b) {
    b.onResolve({ filter: /\/highlight\.js$/ }, () => ({ path: 'highlight', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export function highlight() { return undefined; }', loader: 'js' }));
  },
};

function sizes(bytes) {
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const full = await build({ ...common });
const file = join(outdir, 'llc-elements.min.js');
writeFileSync(file, full.outputFiles[0].contents);
const lean = await build({ ...common, plugins: [noHighlighter] });

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const a = sizes(readFileSync(file));
const b = sizes(lean.outputFiles[0].contents);
console.log(`llc-elements.min.js (client + elements, with highlighter): ${kb(a.min)} min, ${kb(a.gzip)} min+gzip`);
console.log(`without the highlighter:                                   ${kb(b.min)} min, ${kb(b.gzip)} min+gzip`);
