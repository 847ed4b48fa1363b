/**
 * The `--config FILE` half of the option kit: a YAML mapping whose keys are the command's flag names
 * (`port: 8787`, `allowed-origins: [https://a.example]`), and `--print-config`, which shows the effective
 * settings — where each came from, secrets redacted — as YAML that can itself be used as a config file.
 */
import { readFileSync } from 'node:fs';
import { Document, isScalar, parse as parseYaml } from 'yaml';
import type { OptionSpecs } from './options.js';
import { CliUsageError } from './usage-error.js';

/** Where an effective setting came from, in precedence order (a flag beats the environment, …). */
export type OptionSource = 'flag' | 'env' | 'file' | 'default';

/** Shown instead of a secret's value. */
export const REDACTED = '<redacted>';

/**
 * The settings of a config file, keyed by flag name; values are still raw (YAML scalars or lists) and are
 * converted like flag values. A usage error for an unreadable file, bad YAML, a non-mapping or an unknown key.
 */
export function readConfigFile(path: string, specs: OptionSpecs): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliUsageError(`--config ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new CliUsageError(
      `--config ${path} is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new CliUsageError(`--config ${path} must be a mapping of option names to values`);
  const entries = Object.entries(data as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (!Object.hasOwn(specs, key)) {
      const hint = closest(key, Object.keys(specs));
      throw new CliUsageError(
        `--config ${path}: unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; keys are the flag names of --help`,
      );
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      throw new CliUsageError(`--config ${path}: "${key}" must be a value or a list, not a mapping`);
  }
  return Object.fromEntries(entries.filter(([, value]) => value !== null));
}

/**
 * The effective settings as YAML, one key per set option with its source as a comment. Options marked
 * `secret` and the password of any URL (`redis://:pw@host`, `nats://user:pw@host`) are replaced by {@link REDACTED}.
 */
export function formatEffectiveConfig(
  specs: OptionSpecs,
  values: Record<string, unknown>,
  sources: Record<string, OptionSource>,
): string {
  const shown: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = values[name];
    if (value === undefined) continue;
    shown[name] = spec.secret ? REDACTED : redactUrls(value);
  }
  const doc = new Document(shown);
  const items = (doc.contents as { items?: { key: unknown; value: unknown }[] } | null)?.items ?? [];
  for (const pair of items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const spec = specs[name];
    const source = sources[name] ?? 'default';
    const label = source === 'env' && spec?.env ? `env ${spec.env}` : source;
    if (isScalar(pair.value)) pair.value.comment = ` ${label}`;
    else if (isScalar(pair.key)) pair.key.commentBefore = ` ${label}`;
  }
  return `# effective settings (flag > environment > config file > default); secrets shown as ${REDACTED}\n${doc.toString()}`;
}

function redactUrls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactUrls);
  if (typeof value !== 'string' || !value.includes('://')) return value;
  // Several URLs may share one string (comma-separated NATS servers).
  return value
    .split(',')
    .map((part) => {
      try {
        const url = new URL(part.trim());
        if (!url.password) return part;
        url.password = 'redacted';
        return url.toString().replace(/\/$/, part.trim().endsWith('/') ? '/' : '');
      } catch {
        return part;
      }
    })
    .join(',');
}

/** The candidate within edit distance 3 of `key`, if any (for "did you mean"). */
function closest(key: string, candidates: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(key, name);
    if (distance <= 3 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
