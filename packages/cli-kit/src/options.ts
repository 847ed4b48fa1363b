/**
 * One declaration per CLI setting — flag, LLC_* environment variable, type, default, help — from which the
 * parser, the environment fallback, the config file's keys, `--print-config` and `--help` are all derived, so
 * they cannot disagree. Precedence: flag > environment variable > config file (`--config`) > default.
 */
import { parseArgs } from 'node:util';
import { formatEffectiveConfig, readConfigFile, type OptionSource } from './config-file.js';
import { CliUsageError } from './usage-error.js';

export { CliUsageError };

export type OptionType = 'string' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  type: OptionType;
  /** Environment variable read when the flag is absent. */
  env?: string;
  default?: string | number | boolean | string[];
  help: string;
  /** Shown in help instead of the type, e.g. `URL`. */
  placeholder?: string;
  /** A secret (key, password): `--print-config` shows it redacted. */
  secret?: boolean;
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

/** The options every command has besides its own: `--help`, `--config FILE` and `--print-config`. */
export interface CommonOptions {
  help: boolean;
  /** `--print-config`: the command should print {@link formatConfig} and exit. */
  printConfig: boolean;
  /** The config file read (`--config` or LLC_CONFIG), if any. */
  configFile: string | undefined;
}

const sourcesOf = new WeakMap<object, Record<string, OptionSource>>();

/**
 * Parses `argv` against `specs`: flags, then each spec's environment variable, then the `--config` file
 * (or LLC_CONFIG), then the default. A {@link CliUsageError} for an unknown flag or config key or a bad value.
 */
export function parseOptions<T extends OptionSpecs>(
  specs: T,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedOptions<T> & CommonOptions {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    help: { type: 'boolean' },
    config: { type: 'string' },
    'print-config': { type: 'boolean' },
  };
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
  const configFile = typeof values.config === 'string' ? values.config : env.LLC_CONFIG || undefined;
  const fromFile = configFile ? readConfigFile(configFile, specs) : {};
  const out: Record<string, unknown> = {
    help: values.help === true,
    printConfig: values['print-config'] === true,
    configFile,
  };
  const sources: Record<string, OptionSource> = {};
  for (const [name, spec] of Object.entries(specs)) {
    let raw: unknown = values[name];
    let source: OptionSource = 'flag';
    let where = `--${name}`;
    if (spec.type === 'boolean' && values[`no-${name}`] === true) raw = false;
    if (raw === undefined && spec.env && env[spec.env] !== undefined && env[spec.env] !== '') {
      raw = env[spec.env];
      [source, where] = ['env', `${spec.env} (--${name})`];
    }
    if (raw === undefined && fromFile[name] !== undefined) {
      raw = fromFile[name];
      [source, where] = ['file', `"${name}" in ${configFile}`];
    }
    if (raw === undefined) source = 'default';
    out[name] = raw === undefined ? spec.default : convert(where, spec, raw);
    sources[name] = source;
  }
  sourcesOf.set(out, sources);
  return out as ParsedOptions<T> & CommonOptions;
}

/**
 * `--print-config`: the effective settings of options parsed by {@link parseOptions}, as YAML (usable as a
 * config file) with each setting's source, secrets and URL passwords redacted.
 */
export function formatConfig<T extends OptionSpecs>(specs: T, options: ParsedOptions<T>): string {
  return formatEffectiveConfig(specs, options as Record<string, unknown>, sourcesOf.get(options) ?? {});
}

function convert(where: string, spec: OptionSpec, raw: unknown): unknown {
  switch (spec.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
      if (/^(0|false|no|off)$/i.test(String(raw))) return false;
      throw new CliUsageError(`${where} expects true or false, got "${String(raw)}"`);
    case 'number': {
      const n = typeof raw === 'string' && raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n) || Array.isArray(raw))
        throw new CliUsageError(`${where} expects a number, got "${String(raw)}"`);
      return n;
    }
    case 'list':
      return (Array.isArray(raw) ? raw : [raw])
        .flatMap((v) => String(v).split(','))
        .map((v) => v.trim())
        .filter(Boolean);
    default:
      if (Array.isArray(raw)) throw new CliUsageError(`${where} expects one value, got a list`);
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
  const common = [
    ['--config <file>', 'YAML file of settings keyed by flag name (env LLC_CONFIG); flags and env override it'],
    ['--print-config', 'Print the effective settings (secrets redacted) and exit'],
    ['--help', 'Show this help'],
  ].map(([flag, text]) => `  ${flag!.padEnd(width)}${text}`);
  return `Usage: ${command} [options]\n\n${summary}\n\nOptions:\n${lines.join('\n')}\n${common.join('\n')}\n${footer ? `\n${footer}\n` : ''}`;
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
