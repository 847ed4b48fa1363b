/**
 * Minimal structured logging: one line per event, `level` gated by LLC_LOG_LEVEL (error|warn|info|debug).
 * Library users can pass their own {@link Logger} (e.g. pino's methods fit).
 */
import { inspect } from 'node:util';

/** Where the relay logs; any object with these four methods (pino's, a test's silent one). */
export interface Logger {
  error(message: string, error?: unknown): void;
  warn(message: string, error?: unknown): void;
  info(message: string): void;
  debug(message: string): void;
}

const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof LEVELS;

/** A {@link Logger} that writes `[name] level message` lines to the console, up to `level`. */
export function consoleLogger(name: string, level: Level = (process.env.LLC_LOG_LEVEL as Level) ?? 'info'): Logger {
  const max = LEVELS[level] ?? LEVELS.info;
  const line = (lvl: Level, message: string, error?: unknown) => {
    if (LEVELS[lvl] > max) return;
    const suffix =
      error === undefined ? '' : `: ${error instanceof Error ? (error.stack ?? error.message) : inspect(error)}`;
    (lvl === 'error' || lvl === 'warn' ? console.error : console.log)(`[${name}] ${lvl} ${message}${suffix}`);
  };
  return {
    error: (m, e) => line('error', m, e),
    warn: (m, e) => line('warn', m, e),
    info: (m) => line('info', m),
    debug: (m) => line('debug', m),
  };
}
