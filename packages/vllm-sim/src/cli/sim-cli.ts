#!/usr/bin/env node
/**
 * `llc-vllm-sim`: a vLLM-faithful simulator as its own process — vLLM's OpenAI-compatible API, /health,
 * /metrics with vLLM's names, a discrete-event engine with realistic latency profiles, and fault injection.
 *
 *   llc-vllm-sim --port 0 --profile 8b-h100
 *   → llc-vllm-sim listening on http://127.0.0.1:41234/v1
 *
 * The ready line is the only line written to stdout (tests and scripts wait for it); notes go to stderr.
 * See packages/vllm-sim/README.md.
 */
import {
  FaultConfigError,
  KvEventsConfigError,
  UnknownProfileError,
  listProfiles,
  startSimulator,
  type FaultConfig,
  type RunningSimulator,
  type SimulatorOptions,
} from '../index.js';
import {
  CliUsageError,
  formatConfig,
  formatHelp,
  parseOptions,
  runCli,
  type OptionSpecs,
  type ParsedOptions,
} from '@locallightchat/cli-kit';

const OPTIONS = {
  port: {
    type: 'number',
    env: 'LLC_SIM_PORT',
    default: 8000,
    help: 'Port to listen on; 0 picks a free one (printed in the ready line)',
  },
  host: { type: 'string', env: 'LLC_SIM_HOST', default: '127.0.0.1', help: 'Address to bind' },
  profile: { type: 'string', env: 'LLC_SIM_PROFILE', default: '8b-h100', help: 'Latency/capacity profile (see below)' },
  model: { type: 'string', env: 'LLC_SIM_MODEL', help: "Served model name (default: the profile's)" },
  'max-num-seqs': {
    type: 'number',
    env: 'LLC_SIM_MAX_NUM_SEQS',
    help: 'Sequences running at once (vLLM --max-num-seqs)',
  },
  'max-num-batched-tokens': {
    type: 'number',
    env: 'LLC_SIM_MAX_NUM_BATCHED_TOKENS',
    help: 'Tokens per engine step (vLLM --max-num-batched-tokens)',
  },
  'max-model-len': {
    type: 'number',
    env: 'LLC_SIM_MAX_MODEL_LEN',
    help: 'Context window, prompt + completion (vLLM --max-model-len)',
  },
  'kv-cache-tokens': { type: 'number', env: 'LLC_SIM_KV_CACHE_TOKENS', help: 'KV cache capacity in tokens' },
  'scheduling-policy': {
    type: 'string',
    env: 'LLC_SIM_SCHEDULING_POLICY',
    default: 'fcfs',
    placeholder: 'fcfs|priority',
    help: 'vLLM --scheduling-policy',
  },
  'max-num-queued-reqs': {
    type: 'number',
    env: 'LLC_SIM_MAX_NUM_QUEUED_REQS',
    help: 'Answer 503 when this many requests already wait (default unbounded)',
  },
  'block-size': {
    type: 'number',
    env: 'LLC_SIM_BLOCK_SIZE',
    default: 16,
    help: 'Tokens per KV block (vLLM --block-size)',
  },
  'enable-prefix-caching': {
    type: 'boolean',
    env: 'LLC_SIM_ENABLE_PREFIX_CACHING',
    default: true,
    help: 'Automatic prefix caching (vLLM V1 default; --no-enable-prefix-caching turns it off)',
  },
  'stream-interval': {
    type: 'number',
    env: 'LLC_SIM_STREAM_INTERVAL',
    help: 'Tokens per delta after the first (vLLM --stream-interval; default 1)',
  },
  'hash-seed': {
    type: 'string',
    env: 'LLC_SIM_HASH_SEED',
    default: '0',
    help: "Seed of the block hash chain (vLLM's PYTHONHASHSEED); precise routers must use the same",
  },
  'kv-events-config': {
    type: 'string',
    env: 'LLC_SIM_KV_EVENTS_CONFIG',
    placeholder: 'JSON',
    help: 'vLLM --kv-events-config, e.g. {"enable_kv_cache_events":true,"endpoint":"tcp://*:5557","replay_endpoint":"tcp://*:5558"}',
  },
  'reasoning-field': {
    type: 'string',
    env: 'LLC_SIM_REASONING_FIELD',
    placeholder: 'field',
    help: 'Act as a reasoning model (--reasoning-parser): reasoning or reasoning_content',
  },
  speed: {
    type: 'number',
    env: 'LLC_SIM_SPEED',
    default: 1,
    help: 'Wall-clock speed-up of the engine (2 = twice as fast)',
  },
  seed: { type: 'number', env: 'LLC_SIM_SEED', default: 0, help: 'Seed of the step-time jitter' },
  jitter: { type: 'number', env: 'LLC_SIM_JITTER', default: 0.1, help: 'Step-time jitter, lognormal sigma (0 = none)' },
  'reject-next': {
    type: 'number',
    env: 'LLC_SIM_REJECT_NEXT',
    default: 0,
    help: 'Fault: reject the next N requests (-1 = all)',
  },
  'reject-status': {
    type: 'number',
    env: 'LLC_SIM_REJECT_STATUS',
    default: 503,
    placeholder: '429|503',
    help: 'Fault: status of rejections',
  },
  'retry-after': {
    type: 'number',
    env: 'LLC_SIM_RETRY_AFTER',
    default: 0,
    placeholder: 'seconds',
    help: 'Fault: Retry-After sent with rejections (0 = none)',
  },
  'fail-next': {
    type: 'number',
    env: 'LLC_SIM_FAIL_NEXT',
    default: 0,
    help: 'Fault: fail the next N streams mid-stream (-1 = all)',
  },
  'fail-after-tokens': {
    type: 'number',
    env: 'LLC_SIM_FAIL_AFTER_TOKENS',
    default: 0,
    help: 'Fault: tokens delivered before such a failure',
  },
  'hang-next': {
    type: 'number',
    env: 'LLC_SIM_HANG_NEXT',
    default: 0,
    help: 'Fault: hang the next N requests before the first token (-1 = all)',
  },
  dead: {
    type: 'boolean',
    env: 'LLC_SIM_DEAD',
    default: false,
    help: 'Fault: start with a dead engine (/health 503, completions 500)',
  },
} satisfies OptionSpecs;

function footer(): string {
  const profiles = listProfiles().map(
    (p) =>
      `  ${p.name.padEnd(16)}${p.description}\n  ${''.padEnd(16)}t0 ${p.t0} ms, a ${p.a} ms/seq, b ${p.b} ms/prefill token; max-num-seqs ${p.maxNumSeqs}, max-model-len ${p.maxModelLen}, KV ${p.kvCacheTokens} tokens`,
  );
  return [
    'Profiles (step_ms = t0 + a·decoding_seqs + b·prefill_tokens, ±10% lognormal jitter):',
    ...profiles,
    '',
    'Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health, GET /metrics, GET /load',
    'Admin:     GET /sim/state; POST /sim/faults {"rejectNext":2,"rejectStatus":429,"retryAfterSeconds":1,',
    '           "failNext":1,"failAfterTokens":5,"hangNext":1,"dead":false,"reset":true}',
  ].join('\n');
}

function policy(value: string): 'fcfs' | 'priority' {
  if (value === 'fcfs' || value === 'priority') return value;
  throw new CliUsageError(`--scheduling-policy must be fcfs or priority, got "${value}"`);
}

function reasoningField(value: string | undefined): SimulatorOptions['reasoningField'] {
  if (value === undefined || value === '' || value === 'off') return undefined;
  if (value === 'reasoning' || value === 'reasoning_content') return value;
  throw new CliUsageError(`--reasoning-field must be reasoning or reasoning_content, got "${value}"`);
}

/** The simulator's options from the parsed flags (usage errors for values parsing alone cannot catch). */
function simulatorOptions(o: ParsedOptions<typeof OPTIONS>): SimulatorOptions {
  const rejectStatus = o['reject-status'];
  if (rejectStatus !== 429 && rejectStatus !== 503)
    throw new CliUsageError(`--reject-status must be 429 or 503, got ${rejectStatus}`);
  const faults: Partial<FaultConfig> = {
    rejectNext: o['reject-next'],
    rejectStatus,
    retryAfterSeconds: o['retry-after'],
    failNext: o['fail-next'],
    failAfterTokens: o['fail-after-tokens'],
    hangNext: o['hang-next'],
    dead: o.dead,
  };
  return {
    port: o.port,
    host: o.host,
    profile: o.profile,
    schedulingPolicy: policy(o['scheduling-policy']),
    speed: o.speed,
    seed: o.seed,
    jitter: o.jitter,
    faults,
    // Unset flags stay undefined: the simulator's defaults (or the profile's) apply.
    model: o.model || undefined,
    maxNumSeqs: o['max-num-seqs'],
    maxNumBatchedTokens: o['max-num-batched-tokens'],
    maxModelLen: o['max-model-len'],
    kvCacheTokens: o['kv-cache-tokens'],
    maxNumQueuedReqs: o['max-num-queued-reqs'],
    reasoningField: reasoningField(o['reasoning-field']),
    blockSize: o['block-size'],
    prefixCaching: o['enable-prefix-caching'],
    hashSeed: o['hash-seed'],
    streamInterval: o['stream-interval'],
    kvEvents: o['kv-events-config'] || undefined,
  };
}

async function main(): Promise<void> {
  const o = parseOptions(OPTIONS, process.argv.slice(2));
  if (o.help) {
    process.stdout.write(
      formatHelp(
        'llc-vllm-sim',
        'A vLLM-faithful simulator: OpenAI-compatible streaming API, /metrics with vLLM names, fault injection.',
        OPTIONS,
        footer(),
      ),
    );
    return;
  }
  if (o.printConfig) {
    process.stdout.write(formatConfig(OPTIONS, o));
    return;
  }
  let sim: RunningSimulator;
  try {
    sim = await startSimulator(simulatorOptions(o));
  } catch (error) {
    // Bad settings are usage errors (exit 2 with a hint), not crashes.
    if (
      error instanceof UnknownProfileError ||
      error instanceof RangeError ||
      error instanceof FaultConfigError ||
      error instanceof KvEventsConfigError
    )
      throw new CliUsageError(error.message);
    throw error;
  }
  const p = sim.core.profile;
  console.error(
    `[llc-vllm-sim] profile ${o.profile}: model ${p.model}, max-num-seqs ${p.maxNumSeqs}, max-model-len ${p.maxModelLen}, KV ${p.kvCacheTokens} tokens, policy ${sim.engine.policy}, speed ${sim.engine.speed}`,
  );
  if (sim.kvEvents)
    console.error(
      `[llc-vllm-sim] KV events on ${sim.kvEvents.endpoint}${sim.kvEvents.replayEndpoint ? `, replay on ${sim.kvEvents.replayEndpoint}` : ''}`,
    );
  // SIGTERM/SIGINT: close and exit 0 (1 if closing fails); a second signal exits at once.
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The ready line after the signal handlers: a SIGTERM sent as soon as it is read must close cleanly.
  console.log(`llc-vllm-sim listening on ${sim.url}`);
}

runCli('llc-vllm-sim', main);
