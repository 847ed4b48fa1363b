#!/usr/bin/env node
/**
 * `npm run lint`: the tree's mechanical checks, each a separate step with its own verdict.
 *   format   Prettier (.prettierrc.json): every file formatted (`npm run format` writes them)
 *   eslint   typescript-eslint's type-checked rules (tools/lint/eslint.config.mjs)
 *   imports  the package layers (scripts/import-graph.mjs)
 * Options: --only format|eslint|imports (repeatable), --fix (Prettier writes, ESLint fixes what it can),
 *          --quiet (ESLint reports errors only; `npm test` uses it, `npm run lint` also lists the warnings).
 * Exit 1 when any step fails.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const only = args.flatMap((a, i) => (a === '--only' ? [args[i + 1]] : []));
const wants = (step) => only.length === 0 || only.includes(step);
const fix = args.includes('--fix');
const quiet = args.includes('--quiet');

function run(command, argv) {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const eslint = join(root, 'tools/lint/node_modules/.bin/eslint');
const steps = [
  [
    'format',
    () =>
      run(process.execPath, [
        'node_modules/prettier/bin/prettier.cjs',
        fix ? '--write' : '--check',
        '--log-level',
        'warn',
        '.',
      ]),
  ],
  [
    'eslint',
    () => {
      if (!existsSync(eslint)) {
        console.error('eslint is not installed: run `npm install` (its postinstall installs tools/lint)');
        return 1;
      }
      // No --cache: ESLint's cache keys on file contents, so type-aware results could go stale when another file changes.
      return run(eslint, [
        '--config',
        'tools/lint/eslint.config.mjs',
        ...(fix ? ['--fix'] : []),
        ...(quiet ? ['--quiet'] : []),
        '.',
      ]);
    },
  ],
  ['imports', () => run(process.execPath, ['scripts/import-graph.mjs'])],
];

let failed = 0;
for (const [name, step] of steps) {
  if (!wants(name)) continue;
  const started = Date.now();
  const code = await step();
  console.log(
    `lint ${name.padEnd(8)} ${code === 0 ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  if (code !== 0) failed++;
}
process.exit(failed ? 1 : 0);
