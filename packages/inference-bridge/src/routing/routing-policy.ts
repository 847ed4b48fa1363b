/**
 * How LoadAwareRouter picks among the replicas that can take a request now (healthy, under their admission
 * target). Without a policy it uses its own power of two choices on load ("load"); a policy replaces that
 * choice and nothing else — breakers, admission, fallback and in-flight counting stay the router's.
 */
import type { InferenceRequest } from '../backend.js';

/** What a policy sees of one candidate replica. */
export interface ReplicaView {
  /** Position in the router's `backends` (stable; indexes per-replica state such as a prefix index). */
  readonly index: number;
  readonly name: string;
  /** Requests on the replica: this bridge's in flight now + everyone else's at the last scrape. */
  readonly load: number;
  /** Requests waiting in the replica's own queue at the last scrape (0 when unknown). */
  readonly waiting: number;
  /** KV cache usage 0–1 at the last scrape (0 when unknown). */
  readonly kvUsage: number;
  /** This bridge's requests on the replica now. */
  readonly inFlight: number;
}

export interface RoutingPolicy {
  readonly name: string;
  /** Chooses one of `candidates` (never empty). Must not change state: `choose` may be asked without a dispatch. */
  pick(request: InferenceRequest, candidates: readonly ReplicaView[], now: number): ReplicaView;
  /**
   * Admission: whether the request should go now to one of `ready` (the replicas with room) rather than wait
   * for a busy one among `healthy` (e.g. the replica holding its prefix). Absent = always. Asked by the
   * bridge's admission queue each time capacity changes; a policy must let a request go within a bounded time.
   */
  admit?(
    request: InferenceRequest,
    ready: readonly ReplicaView[],
    healthy: readonly ReplicaView[],
    now: number,
  ): boolean;
  /** The request went to replica `index` (e.g. an approximate index records its prefix there). */
  dispatched?(request: InferenceRequest, index: number, now: number): void;
  /** For logs and the bench. */
  status?(): Record<string, unknown>;
  close?(): void;
}

/** Uniformly random among the candidates (the baseline of llm-d's tables). */
export class RandomPolicy implements RoutingPolicy {
  readonly name = 'random';
  constructor(private readonly random: () => number = Math.random) {}
  pick(_request: InferenceRequest, candidates: readonly ReplicaView[]): ReplicaView {
    return candidates[Math.floor(this.random() * candidates.length)]!;
  }
}

/** Rotates over the replicas, skipping those that cannot take the request now. */
export class RoundRobinPolicy implements RoutingPolicy {
  readonly name = 'round-robin';
  private next = 0;
  pick(_request: InferenceRequest, candidates: readonly ReplicaView[]): ReplicaView {
    // The first candidate at or after the cursor, in replica order.
    let chosen = candidates[0]!;
    for (const c of candidates) {
      if (c.index >= this.next) {
        chosen = c;
        break;
      }
    }
    return chosen;
  }
  dispatched(_request: InferenceRequest, index: number): void {
    this.next = index + 1;
  }
}
