/**
 * The one logger of `llc-relay`, `llc-bridge` and the broker inside them: pino, one JSON object per line on
 * stderr (stdout stays for the ready line and --print-config), with `level`, `time`, `name`, `msg`, the ids a call
 * site knows (`conversationId`, `streamId`, `requestId`, …) and `err` for errors. `--log-level` is honoured by
 * every part, since they all log through this object. `--log-format text` gives `[name] level msg key=value`
 * lines for a terminal.
 */
import { inspect } from 'node:util';
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import type { OptionSpecs, ParsedOptions } from './options.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Context carried by a log line: ids (conversationId, streamId, requestId, userId, backend) and small values. */
export type LogFields = Record<string, unknown>;

/** What the relay's `Logger`, the bridge's and the broker's `log` callbacks accept (their shapes are subsets). */
export interface StructuredLogger {
  error(message: string, error?: unknown, fields?: LogFields): void;
  warn(message: string, error?: unknown, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `bindings` (e.g. `{ backend: 'gpu-1' }`). */
  child(bindings: LogFields): StructuredLogger;
}

export const LOG_OPTIONS = {
  'log-level': {
    type: 'string',
    env: 'LLC_LOG_LEVEL',
    default: 'info',
    placeholder: LOG_LEVELS.join('|'),
    help: 'Least severe level logged (by every part of the process)',
  },
  'log-format': {
    type: 'string',
    env: 'LLC_LOG_FORMAT',
    default: 'json',
    placeholder: 'json|text',
    help: 'json: one JSON object per line (for collectors); text: [name] level message key=value',
  },
} satisfies OptionSpecs;

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'text';
  /** Where lines go (default stderr, written synchronously so the last lines before an exit are kept). */
  destination?: DestinationStream;
}

/** A usage-error message (string) for a bad --log-level/--log-format, else the logger options. */
export function loggerOptions(o: ParsedOptions<typeof LOG_OPTIONS>): LoggerOptions | string {
  const level = o['log-level'];
  const format = o['log-format'];
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    return `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`;
  if (format !== 'json' && format !== 'text') return `--log-format must be json or text, got "${format}"`;
  return { level: level as LogLevel, format };
}

export function createLogger(name: string, options: LoggerOptions = {}): StructuredLogger {
  const format = options.format ?? 'json';
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const base = pino(
    {
      name,
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    format === 'text' ? textStream(destination) : destination,
  );
  return wrap(base);
}

function wrap(p: Pino): StructuredLogger {
  const withError = (error: unknown, fields?: LogFields) =>
    error === undefined
      ? (fields ?? {})
      : { ...fields, err: error instanceof Error ? error : { message: inspect(error) } };
  return {
    error: (message, error, fields) => p.error(withError(error, fields), message),
    warn: (message, error, fields) => p.warn(withError(error, fields), message),
    info: (message, fields) => p.info(fields ?? {}, message),
    debug: (message, fields) => p.debug(fields ?? {}, message),
    child: (bindings) => wrap(p.child(bindings)),
  };
}

/** Rewrites pino's JSON lines as `[name] level msg key=value …` for people at a terminal. */
function textStream(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      const { name, level, msg, time: _time, pid: _pid, err, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      const error = err
        ? `: ${String((err as { stack?: string; message?: string }).stack ?? (err as { message?: string }).message)}`
        : '';
      out.write(`[${String(name)}] ${String(level)} ${String(msg)}${fields ? ` ${fields}` : ''}${error}\n`);
    },
  };
}
