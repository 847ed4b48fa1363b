/**
 * Types for the ES-module build of highlight.js (the package ships none): only what highlight.ts uses.
 */
declare module '@highlightjs/cdn-assets/es/core.min.js' {
  type Grammar = (hljs: unknown) => object;
  interface HighlightJs {
    registerLanguage(name: string, grammar: Grammar): void;
    registerAliases(aliases: string[], options: { languageName: string }): void;
    getLanguage(name: string): object | undefined;
    highlight(code: string, options: { language: string; ignoreIllegals?: boolean }): { value: string };
  }
  const hljs: HighlightJs;
  export default hljs;
}
declare module '@highlightjs/cdn-assets/es/languages/*' {
  const grammar: (hljs: unknown) => object;
  export default grammar;
}
