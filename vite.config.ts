/**
 * Vite builds the demo page (`npm run build` → demo/dist, served by the relay in `npm start`) and serves it
 * with hot reload in `npm run dev`, proxying the relay endpoints to a relay at LLC_RELAY_URL
 * (default http://127.0.0.1:8787; start one with `npm start` or `llc-relay --dev --simulate`).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const relay = process.env.LLC_RELAY_URL ?? 'http://127.0.0.1:8787';

export default defineConfig({
  // Absolute, so the build works whether vite runs from the repo root (`npm run dev`) or from demo/.
  root: fileURLToPath(new URL('./demo', import.meta.url)),
  resolve: {
    // Workspace packages resolve to their TypeScript sources (see each package.json's "llc-source").
    conditions: ['llc-source'],
    // markdown-it's entity decoding by the browser's HTML parser instead of a 22 KB table (as in the bundle).
    alias: [{ find: /^entities$/, replacement: '@locallightchat/elements/browser-entity-decoder' }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: {
      '/ws': { target: relay.replace(/^http/, 'ws'), ws: true },
      '/auth': relay,
      '/metrics': relay,
    },
  },
});
