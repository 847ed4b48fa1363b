/**
 * @locallightchat/cli-kit — what `llc-relay`, `llc-bridge` and `llc-vllm-sim` share: one table of option specs
 * from which parsing, the LLC_* environment fallback and `--help` are derived, and the exit-code convention.
 */
export {
  CliUsageError,
  formatHelp,
  parseOptions,
  runCli,
  type OptionSpec,
  type OptionSpecs,
  type OptionType,
  type ParsedOptions,
} from './options.js';
export { freePort } from './free-port.js';
