/**
 * @tanstack/virtual-core reads `process.env.NODE_ENV` (bundlers replace it; the published single-file bundle
 * does too). The test server serves node_modules unbundled, so tests that mount the list define it first.
 */
const scope = globalThis as { process?: { env: Record<string, string> } };
scope.process ??= { env: { NODE_ENV: 'development' } };
export {};
