/**
 * `@locallightchat/vllm-sim/backend` — `SimulatorBackend`, the simulator as an in-process InferenceBackend (no
 * HTTP), for tests and the embedded demo stack.
 */
export {
  DEFAULT_SIMULATOR_BACKEND_OPTIONS,
  SimulatorBackend,
  type SimulatorBackendOptions,
} from './simulator-backend.js';
