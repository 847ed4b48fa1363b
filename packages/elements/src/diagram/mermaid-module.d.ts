/**
 * Mermaid's own pre-bundled ESM build (its dependencies inlined, its diagram types as chunks it imports on
 * demand). Its package entry (`mermaid.core.mjs`) imports CommonJS packages (dayjs…) a browser cannot load
 * unbundled (the test runner serves node_modules as they are); this file works everywhere, with the same API.
 */
declare module 'mermaid/dist/mermaid.esm.min.mjs' {
  import mermaid from 'mermaid';
  export default mermaid;
}
