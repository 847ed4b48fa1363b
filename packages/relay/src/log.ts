/**
 * Minimal structured logging: one line per event, `level` gated by LLC_LOG_LEVEL (error|warn|info|debug).
 * Library users can pass their own {@link Logger} (e.g. pino's methods fit).
 */
import { inspect } from 'node:util';

/** Ids and small values a log line carries (conversationId, streamId, requestId, …). */
export type LogFields = Record<string, unknown>;

/**
 * Where the relay logs; any object with these four methods (the CLIs pass cli-kit's pino-based JSON logger, tests
 * a silent one). `fields` carry the ids the call site knows.
 */
export interface Logger {
  error(message: string, error?: unknown, fields?: LogFields): void;
  warn(message: string, error?: unknown, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof LEVELS;

/** A {@link Logger} that writes `[name] level message` lines to the console, up to `level`. */
export function consoleLogger(name: string, level: Level = (process.env.LLC_LOG_LEVEL as Level) ?? 'info'): Logger {
  const max = LEVELS[level] ?? LEVELS.info;
  const line = (lvl: Level, message: string, error?: unknown, fields?: LogFields) => {
    if (LEVELS[lvl] > max) return;
    const context = fields
      ? Object.entries(fields)
          .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : inspect(v)}`)
          .join('')
      : '';
    const suffix =
      error === undefined ? '' : `: ${error instanceof Error ? (error.stack ?? error.message) : inspect(error)}`;
    (lvl === 'error' || lvl === 'warn' ? console.error : console.log)(`[${name}] ${lvl} ${message}${context}${suffix}`);
  };
  return {
    error: (m, e, f) => line('error', m, e, f),
    warn: (m, e, f) => line('warn', m, e, f),
    info: (m, f) => line('info', m, undefined, f),
    debug: (m, f) => line('debug', m, undefined, f),
  };
}
