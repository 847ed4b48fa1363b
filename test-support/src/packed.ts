/**
 * The packages as a user gets them: `npm pack` of every publishable workspace package (every root workspace whose
 * package.json is not `private`, so a new package is picked up without touching this file), installed together
 * into a fresh project outside the repository. Resolution from there can never reach the workspace's sources or
 * its node_modules: what imports, type-checks or runs there comes from the tarballs (and the registry, through
 * npm's cache, for third-party dependencies).
 *
 * Packing and installing take tens of seconds, so they happen once per `npm test`: scripts/test.mjs sets
 * LLC_PACKED_DIR to a scratch folder and the first test that asks packs into it; later tests (also in later
 * stages) reuse it. Run alone, a test packs into a folder of its own.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkspacePackage {
  name: string;
  /** The package folder, absolute. */
  dir: string;
  manifest: PackageManifest;
}

/** The parts of a package.json these checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  publishConfig?: { access?: string };
  [key: string]: unknown;
}

export interface PackedPackage extends WorkspacePackage {
  /** The tarball, absolute. */
  tarball: string;
  /** The files `npm pack` put in it, relative to the package folder, sorted. */
  files: string[];
}

export interface PackedWorkspaces {
  /** Folder holding the tarballs and `project/`. */
  dir: string;
  packages: PackedPackage[];
  /** A fresh project with every tarball installed (`node_modules/@locallightchat/*` are copies, not links). */
  project: string;
  /** True when this call made `dir` (the caller removes it); false when shared through LLC_PACKED_DIR. */
  owned: boolean;
}

/** Every root workspace package that is not private, in the root's workspace order. */
export function publishableWorkspaces(root = repoRoot): WorkspacePackage[] {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  return rootManifest.workspaces
    .map((path) => {
      const dir = join(root, path);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageManifest;
      return { name: manifest.name, dir, manifest };
    })
    .filter((p) => p.manifest.private !== true);
}

const npmEnv = { ...process.env, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false' };

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

async function packAndInstall(dir: string): Promise<Omit<PackedWorkspaces, 'owned'>> {
  const workspaces = publishableWorkspaces();
  mkdirSync(dir, { recursive: true });
  // One npm call for all of them: the elements' prepack (the CDN bundle) runs once, and its output goes to stderr.
  const out = await npm(
    ['pack', '--json', '--pack-destination', dir, ...workspaces.flatMap((w) => ['-w', w.name])],
    repoRoot,
  );
  const results = JSON.parse(out) as PackResult[];
  const packages = workspaces.map((w) => {
    const result = results.find((r) => r.name === w.name);
    if (!result) throw new Error(`npm pack gave no tarball for ${w.name}`);
    return { ...w, tarball: join(dir, result.filename), files: result.files.map((f) => f.path).sort() };
  });

  const project = join(dir, 'project');
  mkdirSync(project);
  const dependencies = Object.fromEntries(packages.map((p) => [p.name, `file:${p.tarball}`]));
  // Our packages depend on each other at exact versions; the overrides make those edges take the tarballs too.
  const overrides = Object.fromEntries(packages.map((p) => [p.name, `$${p.name}`]));
  // What a consumer has beside our packages: Node's types, and React's for @locallightchat/react's declarations.
  for (const types of ['@types/node', '@types/react']) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'node_modules', types, 'package.json'), 'utf8')) as {
      version: string;
    };
    dependencies[types] = manifest.version;
  }
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'llc-packed-project', private: true, type: 'module', dependencies, overrides }, null, 2),
  );
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], project);
  return { dir, packages, project };
}

/** Packs and installs once per test run (see the file comment); the result is shared through LLC_PACKED_DIR. */
export async function packedWorkspaces(): Promise<PackedWorkspaces> {
  const shared = process.env.LLC_PACKED_DIR;
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'llc-packed-'));
    return { ...(await packAndInstall(dir)), owned: true };
  }
  const manifest = join(shared, 'packed.json');
  if (!existsSync(manifest)) {
    rmSync(shared, { recursive: true, force: true });
    const result = await packAndInstall(shared);
    // Written last and renamed into place: a reader sees all of it or nothing.
    writeFileSync(`${manifest}.tmp`, JSON.stringify(result));
    renameSync(`${manifest}.tmp`, manifest);
  }
  return { ...(JSON.parse(readFileSync(manifest, 'utf8')) as Omit<PackedWorkspaces, 'owned'>), owned: false };
}
