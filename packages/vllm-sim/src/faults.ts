/**
 * Fault injection, for failover tests and demos. Set from CLI flags at start and at run time through
 * `POST /sim/faults`; visible at `GET /sim/state`. Counts are consumed one per request; `-1` means "every
 * request until changed".
 */

export interface FaultConfig {
  /** Refuse this many next requests before any work, with `rejectStatus`. */
  rejectNext: number;
  /** 429 (a rate-limiting proxy in front of vLLM) or 503 (vLLM's `--max-num-queued-reqs` overload). */
  rejectStatus: 429 | 503;
  /** Seconds sent as `Retry-After` with rejections; 0 = no header. */
  retryAfterSeconds: number;
  /** Fail this many next streams in the middle: an error object inside the 200 stream, then `[DONE]`. */
  failNext: number;
  /** Tokens delivered before such a failure (0 = fail before the first token, after the 200 headers). */
  failAfterTokens: number;
  /** Hang this many next requests after the 200 headers: no data line ever comes (TTFT-timeout tests). */
  hangNext: number;
  /** Engine dead: `/health` answers 503 and completions fail with 500. */
  dead: boolean;
}

/** No fault: what a simulator starts with, and what `reset` returns to. */
export const DEFAULT_FAULTS: Readonly<FaultConfig> = {
  rejectNext: 0,
  rejectStatus: 503,
  retryAfterSeconds: 0,
  failNext: 0,
  failAfterTokens: 0,
  hangNext: 0,
  dead: false,
};

/** What happens to one request. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'dead' }
  | { kind: 'reject'; status: 429 | 503; retryAfterSeconds: number }
  | { kind: 'hang' }
  | { kind: 'fail'; afterTokens: number };

/** Thrown for an unknown fault setting or a value out of range (`POST /sim/faults` answers 400). */
export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
}

/** The fault injection state of one simulator: settings, and the decision for each incoming request. */
export class Faults {
  private config: FaultConfig;

  constructor(initial: Partial<FaultConfig> = {}) {
    this.config = { ...DEFAULT_FAULTS };
    this.update(initial);
  }

  get current(): Readonly<FaultConfig> {
    return { ...this.config };
  }

  get dead(): boolean {
    return this.config.dead;
  }

  /** Merges a partial config (validated). With `reset`, starts from the defaults. */
  update(patch: Partial<FaultConfig> & { reset?: boolean }): Readonly<FaultConfig> {
    const next: FaultConfig = patch.reset ? { ...DEFAULT_FAULTS } : { ...this.config };
    for (const key of ['rejectNext', 'failNext', 'hangNext'] as const) {
      const v = patch[key];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < -1)
        throw new FaultConfigError(`${key} must be an integer ≥ -1, got ${String(v)}`);
      next[key] = v;
    }
    for (const key of ['retryAfterSeconds', 'failAfterTokens'] as const) {
      const v = patch[key];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < 0) throw new FaultConfigError(`${key} must be an integer ≥ 0, got ${String(v)}`);
      next[key] = v;
    }
    if (patch.rejectStatus !== undefined) {
      if (patch.rejectStatus !== 429 && patch.rejectStatus !== 503)
        throw new FaultConfigError(`rejectStatus must be 429 or 503, got ${String(patch.rejectStatus)}`);
      next.rejectStatus = patch.rejectStatus;
    }
    if (patch.dead !== undefined) {
      if (typeof patch.dead !== 'boolean') throw new FaultConfigError('dead must be true or false');
      next.dead = patch.dead;
    }
    this.config = next;
    return this.current;
  }

  /** Parses an untrusted JSON body of `POST /sim/faults`. */
  updateFromJson(body: unknown): Readonly<FaultConfig> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new FaultConfigError('expected a JSON object');
    const known = new Set([...Object.keys(DEFAULT_FAULTS), 'reset']);
    for (const key of Object.keys(body))
      if (!known.has(key)) throw new FaultConfigError(`unknown fault setting "${key}"`);
    return this.update(body);
  }

  /** Decides (and consumes) the fault for one incoming request. Order: dead, reject, hang, fail. */
  next(): FaultDecision {
    const c = this.config;
    if (c.dead) return { kind: 'dead' };
    if (this.take('rejectNext'))
      return { kind: 'reject', status: c.rejectStatus, retryAfterSeconds: c.retryAfterSeconds };
    if (this.take('hangNext')) return { kind: 'hang' };
    if (this.take('failNext')) return { kind: 'fail', afterTokens: c.failAfterTokens };
    return { kind: 'none' };
  }

  private take(key: 'rejectNext' | 'hangNext' | 'failNext'): boolean {
    const n = this.config[key];
    if (n === 0) return false;
    if (n > 0) this.config[key] = n - 1;
    return true;
  }
}
