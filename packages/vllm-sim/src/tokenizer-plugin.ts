/**
 * `@locallightchat/vllm-sim/tokenizer`: the simulator's tokenizer and chat template as a plug-in for
 * `llc-bridge --router prefix-precise --tokenizer-module @locallightchat/vllm-sim/tokenizer`, so the bridge
 * computes the block hashes the simulator publishes in its KV events.
 */
import { SimPromptTokenizer } from './token-ids.js';

export default function createTokenizer(options: { blockSize?: number } = {}): SimPromptTokenizer {
  return new SimPromptTokenizer(options.blockSize ?? 16);
}

export { SimPromptTokenizer };
