/**
 * At most `limit` tasks at once; the others wait their turn in arrival order. NatsBroker's replays go through
 * one: a relay that opens thousands of conversations at once (every tab of a dead relay resuming on it) would
 * otherwise send as many JetStream reads at once, which time out on the server's queue, are read again by
 * replayRetained's retry and time out again — a collapse (bench/idle/run-resume-storm.mjs, 10,000 resumes).
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      this.next();
    }
  }

  /** Tasks waiting for a turn. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Hands the finished task's turn to the first in line (the count of running tasks stays), or frees it. */
  private next(): void {
    if (this.head < this.waiting.length) {
      const resume = this.waiting[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      resume();
    } else this.running--;
  }
}
