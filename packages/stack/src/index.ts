/**
 * @locallightchat/stack — the composition root. It is the only package that wires several tiers together:
 * the relay (edge), the inference bridge (workers) and, on request, the vLLM simulator.
 *
 * - `startEmbeddedStack(options)`: relay + bridge workers + in-memory broker and store in one process (what
 *   `npm start` and `llc-relay --dev` run); pass NATS or Redis adapters to keep only the bridge in-process.
 * - `llc-relay` (bin): the relay's command line — embedded default, `--simulate`, `--processes` supervisor.
 */
export { startEmbeddedStack, type EmbeddedStack, type EmbeddedStackOptions } from './embedded.js';
