/**
 * The per-step scheduling decision, modelled on vLLM's V1 scheduler:
 *
 * 1. Running sequences, in admission order: each gets its next token (decode) or its next prefill chunk, while
 *    the step's token budget lasts. When the KV cache has no free block for it, a victim is preempted
 *    (recomputation): under `fcfs` the most recently admitted sequence, under `priority` the lowest-priority one
 *    (largest `priority`, latest arrival) — possibly the sequence itself.
 * 2. Waiting sequences, in queue order, while `running < maxNumSeqs`, budget remains and KV blocks are free. A
 *    prompt longer than the remaining budget is prefilled in chunks over several steps (chunked prefill). As in
 *    vLLM, nothing new is admitted in a step that had to preempt.
 *
 * Under `priority`, before that, a waiting sequence with strictly higher priority than the worst running one
 * preempts it when it could not otherwise be admitted (vLLM's priority preemption, PR #5958).
 */
import type { SimProfile } from './profiles.js';
import type { Sequence } from './sequence.js';

/** vLLM's `--scheduling-policy`: `fcfs` (arrival order) or `priority` (lower `priority` first). */
export type SchedulingPolicy = 'fcfs' | 'priority';

/** What the scheduler needs from the engine. */
export interface SchedulerHost {
  readonly profile: SimProfile;
  readonly policy: SchedulingPolicy;
  readonly waiting: readonly Sequence[];
  readonly running: readonly Sequence[];
  readonly kvBlocksFree: number;
  /** Tokens per KV block. */
  readonly blockSize: number;
  blocksToGrow(seq: Sequence, tokens: number): number;
  allocate(seq: Sequence, blocks: number): void;
  /** Leading blocks of a waiting sequence already in the prefix cache (vLLM's `get_computed_blocks`). */
  cacheHits(seq: Sequence): number;
  freeAfterHits(seq: Sequence, hits: number): number;
  /** Waiting → running; its `hits` cached blocks count as computed. */
  admit(seq: Sequence, hits: number): void;
  preempt(seq: Sequence): void;
}

export interface StepPlan {
  work: { seq: Sequence; tokens: number }[];
  decodeSeqs: number;
  prefillTokens: number;
  /** Filled in by the engine. */
  startMs: number;
  durationMs: number;
}

/** Decides one step, allocating KV for it. Undefined when there is nothing to run. */
export function planStep(host: SchedulerHost): StepPlan | undefined {
  const { maxNumSeqs, maxNumBatchedTokens } = host.profile;
  if (host.policy === 'priority') preemptForPriority(host);
  let budget = maxNumBatchedTokens;
  const work = new Map<Sequence, number>();
  let preempted = false;

  for (const seq of [...host.running]) {
    if (budget <= 0) break;
    if (seq.state !== 'running') continue; // preempted earlier in this loop
    const tokens = Math.min(seq.remaining, budget);
    const need = host.blocksToGrow(seq, tokens);
    let selfPreempted = false;
    while (need > host.kvBlocksFree) {
      const victim = pickVictim(host);
      if (!victim) break;
      const given = work.get(victim);
      if (given !== undefined) {
        work.delete(victim);
        budget += given;
      }
      host.preempt(victim);
      preempted = true;
      if (victim === seq) {
        selfPreempted = true;
        break;
      }
    }
    if (selfPreempted || need > host.kvBlocksFree) continue;
    host.allocate(seq, need);
    work.set(seq, tokens);
    budget -= tokens;
  }

  if (!preempted) {
    while (host.waiting.length > 0 && budget > 0 && host.running.length < maxNumSeqs) {
      const seq = host.waiting[0]!;
      // Prefix caching: the cached leading blocks are not computed again; only the rest costs budget.
      const hits = host.cacheHits(seq);
      const cachedTokens = hits * host.blockSize;
      const tokens = Math.min(seq.knownTokens - cachedTokens, budget);
      const need = Math.ceil((cachedTokens + tokens) / host.blockSize) - hits;
      if (need > host.freeAfterHits(seq, hits)) break;
      host.admit(seq, hits);
      host.allocate(seq, need);
      work.set(seq, tokens);
      budget -= tokens;
    }
  }

  if (work.size === 0) return undefined;
  const plan: StepPlan = { work: [], decodeSeqs: 0, prefillTokens: 0, startMs: 0, durationMs: 0 };
  for (const [seq, tokens] of work) {
    plan.work.push({ seq, tokens });
    if (seq.decoding && tokens === 1) plan.decodeSeqs++;
    else plan.prefillTokens += tokens;
  }
  return plan;
}

/** The sequence to preempt when KV runs out. */
function pickVictim(host: SchedulerHost): Sequence | undefined {
  const { running } = host;
  if (running.length === 0) return undefined;
  if (host.policy === 'fcfs') return running[running.length - 1];
  return worstRunning(host);
}

function worstRunning(host: SchedulerHost): Sequence | undefined {
  let worst: Sequence | undefined;
  for (const seq of host.running) if (!worst || worst.before(seq)) worst = seq;
  return worst;
}

/** Priority policy: make room for a more urgent waiting sequence by preempting less urgent running ones. */
function preemptForPriority(host: SchedulerHost): void {
  const { maxNumSeqs, maxNumBatchedTokens } = host.profile;
  for (;;) {
    const head = host.waiting[0];
    const worst = worstRunning(host);
    if (!head || !worst || head.priority >= worst.priority) return;
    const seatFree = host.running.length < maxNumSeqs;
    const kvFree = host.blocksToGrow(head, Math.min(head.remaining, maxNumBatchedTokens)) <= host.kvBlocksFree;
    if (seatFree && kvFree) return;
    host.preempt(worst);
  }
}
