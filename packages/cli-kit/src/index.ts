/**
 * @locallightchat/cli-kit — what `llc-relay`, `llc-bridge` and `llc-vllm-sim` share: one table of option specs
 * from which parsing, the LLC_* environment fallback, the `--config` file, `--print-config` and `--help` are derived, and the exit-code convention.
 */
export {
  CliUsageError,
  formatConfig,
  formatHelp,
  parseOptions,
  runCli,
  type CommonOptions,
  type OptionSpec,
  type OptionSpecs,
  type OptionType,
  type ParsedOptions,
} from './options.js';
export { REDACTED, type OptionSource } from './config-file.js';
export { freePort } from './free-port.js';
export { NATS_OPTIONS, natsSettings, type NatsSettings } from './nats-options.js';
export {
  LOG_LEVELS,
  LOG_OPTIONS,
  createLogger,
  loggerOptions,
  type LogFields,
  type LogLevel,
  type LoggerOptions,
  type StructuredLogger,
} from './logger.js';
export {
  TRACING_OPTIONS,
  cliTracing,
  startTracing,
  tracingEndpoint,
  tracingOptions,
  type Tracing,
  type TracingOptions,
} from './tracing.js';
