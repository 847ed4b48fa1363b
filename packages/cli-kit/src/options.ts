/**
 * One declaration per CLI setting — flag, LLC_* environment variable, type, default, help — from which the
 * parser, the environment fallback and `--help` are all derived, so they cannot disagree.
 * Precedence: flag > environment variable > default.
 */
import { parseArgs } from 'node:util';

export type OptionType = 'string' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  type: OptionType;
  /** Environment variable read when the flag is absent. */
  env?: string;
  default?: string | number | boolean | string[];
  help: string;
  /** Shown in help instead of the type, e.g. `URL`. */
  placeholder?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : string;
/** Options with a default are always set; the others may be undefined. Declare specs with `satisfies OptionSpecs`. */
export type ParsedOptions<T extends OptionSpecs> = {
  [K in keyof T]: T[K] extends { default: unknown } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export function parseOptions<T extends OptionSpecs>(
  specs: T,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedOptions<T> & { help: boolean } {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = spec.type === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: spec.type === 'list' };
    if (spec.type === 'boolean') config[`no-${name}`] = { type: 'boolean' };
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: config, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const out: Record<string, unknown> = { help: values.help === true };
  for (const [name, spec] of Object.entries(specs)) {
    let raw: unknown = values[name];
    if (spec.type === 'boolean' && values[`no-${name}`] === true) raw = false;
    if (raw === undefined && spec.env && env[spec.env] !== undefined && env[spec.env] !== '') raw = env[spec.env];
    out[name] = raw === undefined ? spec.default : convert(name, spec, raw);
  }
  return out as ParsedOptions<T> & { help: boolean };
}

function convert(name: string, spec: OptionSpec, raw: unknown): unknown {
  switch (spec.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
      if (/^(0|false|no|off)$/i.test(String(raw))) return false;
      throw new CliUsageError(`--${name} expects true or false, got "${String(raw)}"`);
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new CliUsageError(`--${name} expects a number, got "${String(raw)}"`);
      return n;
    }
    case 'list':
      return (Array.isArray(raw) ? raw : [raw])
        .flatMap((v) => String(v).split(','))
        .map((v) => v.trim())
        .filter(Boolean);
    default:
      return String(raw);
  }
}

export function formatHelp(command: string, summary: string, specs: OptionSpecs, footer = ''): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag =
      spec.type === 'boolean'
        ? `--${name}`
        : `--${name} <${spec.placeholder ?? (spec.type === 'list' ? 'a,b' : spec.type)}>`;
    const extras = [
      spec.env ? `env ${spec.env}` : '',
      spec.default !== undefined && spec.default !== '' ? `default ${JSON.stringify(spec.default)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return { flag, text: spec.help + (extras ? ` (${extras})` : '') };
  });
  const width = Math.min(40, Math.max(...rows.map((r) => r.flag.length)) + 2);
  const lines = rows.map((r) => `  ${r.flag.padEnd(width)}${r.text}`);
  return `Usage: ${command} [options]\n\n${summary}\n\nOptions:\n${lines.join('\n')}\n  ${'--help'.padEnd(width)}Show this help\n${footer ? `\n${footer}\n` : ''}`;
}

/** Runs a CLI main function: usage errors print help hints and exit 2, other failures exit 1. */
export function runCli(command: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof CliUsageError) {
      console.error(`${command}: ${error.message}\nRun ${command} --help for the options.`);
      process.exit(2);
    }
    console.error(`${command}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.LLC_DEBUG && error instanceof Error) console.error(error.stack);
    process.exit(1);
  });
}
