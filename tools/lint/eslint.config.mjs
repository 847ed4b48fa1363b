/**
 * The linter's rules for the whole tree, run from the repository root:
 *   eslint --config tools/lint/eslint.config.mjs .
 * TypeScript gets typescript-eslint's type-checked recommended set (type information from the packages'
 * tsconfigs and tsconfig.tests.json); JavaScript (bench, scripts, demo) gets ESLint's recommended set.
 * Formatting is Prettier's job (.prettierrc.json), so no stylistic rule is enabled here.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'Buffer',
    'console',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'performance',
    'URL',
    'URLSearchParams',
    'TextEncoder',
    'TextDecoder',
    'fetch',
    'AbortController',
    'AbortSignal',
    'structuredClone',
    'queueMicrotask',
    'globalThis',
    'WebSocket',
    'Response',
    'Request',
    'Headers',
    'crypto',
    'atob',
    'btoa',
    'EventSource',
    'Blob',
    'FormData',
    'ReadableStream',
  ].map((name) => [name, 'readonly']),
);
const browserGlobals = Object.fromEntries(
  [
    'window',
    'document',
    'navigator',
    'location',
    'HTMLElement',
    'customElements',
    'requestAnimationFrame',
    'localStorage',
    'indexedDB',
    'BroadcastChannel',
    'SharedWorker',
    'Worker',
    'self',
    'MutationObserver',
    'getComputedStyle',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/dist-bundle/**',
      'bench/results/**',
      '**/*.d.ts',
      '**/*.d.mts',
      'packages/elements/custom-elements.json',
      // Each example is an app with its own dependencies (vue, react), type-checked by its test in npm test
      // (e2e/examples.e2e.ts) against them; they are not in the root install that the type-aware rules use.
      'examples/**',
    ],
  },
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...nodeGlobals, ...browserGlobals } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ['tools/lint/tsconfig.json'],
        tsconfigRootDir: root,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'warn',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // `async` on a method without `await` is deliberate here: it makes the method's throws rejections, as the
      // ports' contracts (close(), stream(), …) promise.
      '@typescript-eslint/require-await': 'off',
      // The linter's TypeScript (6, for its API) and the compiler (7) disagree on some DOM and Node typings, so an
      // assertion one calls unnecessary the other needs: the compiler is the judge of assertions.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Ambient module declarations (e.g. highlight.js's untyped ES builds) are referenced by path on purpose.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
    },
  },
  {
    // Lit binds template event listeners to the host element, so `@click=${this.onClick}` keeps its `this`.
    files: ['packages/elements/src/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Tests: node:test's describe/it return promises the runner tracks; non-null assertions are the test's claim.
    files: ['**/test/**/*.ts', 'e2e/**/*.ts', 'test-support/**/*.ts', '**/conformance.ts', '**/conformance-*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach', 'suite'],
            },
          ],
        },
      ],
    },
  },
  {
    // Browser tests: @open-wc's chai typings make every assertion thenable, which this rule cannot tell apart.
    files: ['**/*.browser.test.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
);
