/** A mistake in how the command was called (flags, environment, config file): exit 2 with a hint to --help. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
