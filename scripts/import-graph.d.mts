/** Types of scripts/import-graph.mjs, for its test. */
export interface PackageInfo {
  name: string;
  dir: string;
  dependencies: Set<string>;
  exports: Set<string>;
  files: { file: string; specifiers: string[] }[];
}
export function importsOf(text: string): string[];
export function readPackages(root: string): Map<string, PackageInfo>;
export function checkGraph(packages: Map<string, PackageInfo>): {
  edges: Map<string, Set<string>>;
  violations: string[];
};
export function layers(edges: Map<string, Set<string>>): string[][];
