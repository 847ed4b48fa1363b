/**
 * A chat tab as the real client behaves when relays fail (for the chaos suite and multi-node tests): one user, one
 * socket at a time over {@link ProtocolClient}. It sends a message (resending the same client message id after a
 * lost connection: the relay deduplicates), follows the answer by the seq rule, and when its relay goes away
 * (`go-away`, a close, a crash) reconnects to a relay that is up and resumes from its last seq + 1. Like the
 * browser client (conversation-sync.ts resyncFrames), a new connection first subscribes again to every
 * conversation the tab wrote in, so the relay it lands on follows them (and stores their ended answers) whether
 * or not an answer is still being read.
 *
 * It records what a user would have seen: every error frame, every batch that came twice, every gap, and for each
 * move the time from losing the relay to the stream's next frame on the new one (the resume latency).
 */
import {
  classifyBatch,
  newId,
  type ErrorFrame,
  type ServerFrame,
  type StreamEndFrame,
  type TokenFrame,
} from '@locallightchat/protocol';
import { ProtocolClient } from './protocol-client.js';

export interface FollowedAnswer {
  streamId: string;
  /** The answer assembled by the seq rule: each batch once, in order. */
  text: string;
  lastSeq: number;
  end: StreamEndFrame;
  /** Batches the socket delivered that this tab already held (a duplicate on the wire). */
  duplicates: number;
  /**
   * Batches that arrived after a hole (a relay missed a live batch, e.g. while it reconnected to NATS): as the
   * real client does, the tab dropped them and resumed from its last seq on the same socket. Not a loss unless
   * the answer ends incomplete (which `chat` rejects).
   */
  gaps: number;
  /** Milliseconds from losing a relay mid-answer to the stream's next frame on another, per move. */
  resumeLatenciesMs: number[];
  /** Token batches that covered several seqs (`firstSeq` < `seq`): coalesced by a relay's send queue. */
  coalescedBatches: number;
  /** Resumes asked again after a retryable refusal (`retryAfterMs`). */
  retriedResumes: number;
}

export interface StreamFollowerOptions {
  /** Relay WebSocket URLs to (re)connect to, tried in order from a rotating start; called at each connect. */
  urls: () => string[];
  /** A token for the user (called at each connect). */
  token: () => string | Promise<string>;
  /** Give up reconnecting after this long without a relay (default 60 s). */
  reconnectTimeoutMs?: number;
  /** Give up waiting for more of an answer after this long without any frame (default 120 s). */
  frameTimeoutMs?: number;
}

/** Frames the relay sent this tab that a user would see as an error (retryable or not). */
export type ShownError = ErrorFrame;

export class StreamFollower {
  /** Every error frame received, on any connection. */
  readonly errors: ShownError[] = [];
  /** Close codes of the connections this tab lost (1006 for a crashed relay). */
  readonly closeCodes: number[] = [];
  /** Connections made after the first. */
  reconnects = 0;
  /** Milliseconds each reconnect took, from its start to the relay's welcome (retries included). */
  readonly reconnectMs: number[] = [];
  private client!: ProtocolClient;
  private read = 0;
  /** Conversations this tab wrote in: subscribed again on every new connection (as the client's watched ones). */
  private readonly conversations = new Set<string>();
  private turn = 0;

  private constructor(private readonly options: StreamFollowerOptions) {}

  static async open(options: StreamFollowerOptions): Promise<StreamFollower> {
    const follower = new StreamFollower(options);
    follower.client = await follower.connect();
    return follower;
  }

  /** The socket in use now (for tests that look at it directly). */
  get connection(): ProtocolClient {
    return this.client;
  }

  /**
   * Sends `text` into `conversationId` and follows the answer to its end across relay moves. Rejects on a
   * `resume-unavailable` error once the stream has shown a frame, a non-retryable refusal of the message, or
   * silence past `frameTimeoutMs`. `clientMessageId` resends a message already sent (e.g. by another socket).
   */
  async chat(
    conversationId: string,
    text: string,
    maxTokens: number,
    { clientMessageId = newId('cm_') }: { clientMessageId?: string } = {},
  ): Promise<FollowedAnswer> {
    this.conversations.add(conversationId);
    const ack = await this.send(conversationId, clientMessageId, text, maxTokens);
    const { streamId } = ack;
    const answer = { streamId, text: '', lastSeq: 0, duplicates: 0, gaps: 0, coalescedBatches: 0, retriedResumes: 0 };
    const resumeLatenciesMs: number[] = [];
    let lostAt: number | undefined;
    let gapResumedAt: number | undefined;
    // As the client does: a duplicate ack (the message was accepted before, its ack lost, e.g. to a go-away) may
    // name an answer already running, which this socket follows only from its next start: resume it.
    if (ack.duplicate) this.client.send({ type: 'resume', conversationId, streamId, fromSeq: 1 });
    // Until the stream shows a frame, a resume finds nothing of it (its request may wait in the work queue):
    // `resume-unavailable` then is no error, and the joined conversation brings its start (as the client does,
    // which reloads the history and follows the live stream).
    let streamShown = false;
    for (;;) {
      let moved = false;
      while (!moved && this.read < this.client.frames.length) {
        const f: ServerFrame = this.client.frames[this.read++]!;
        if (f.type === 'error' && f.ref === streamId && f.code === 'resume-unavailable' && !streamShown) continue;
        if (f.type === 'error') this.noteError(f);
        if ('streamId' in f && f.streamId === streamId && f.type !== 'ack') {
          streamShown = true;
          if (lostAt !== undefined) {
            resumeLatenciesMs.push(performance.now() - lostAt);
            lostAt = undefined;
          }
        }
        if (f.type === 'token' && f.streamId === streamId) {
          if (this.take(answer, f) === 'gap' && answer.lastSeq !== gapResumedAt) {
            gapResumedAt = answer.lastSeq;
            this.client.send({ type: 'resume', conversationId, streamId, fromSeq: answer.lastSeq + 1 });
          }
        } else if (f.type === 'stream-end' && f.streamId === streamId) {
          if (answer.lastSeq < f.lastSeq) {
            // The end came before batches the tab lacks (a hole, or a replay still on its way): resume for them
            // (once per position) and wait, bounded by frameTimeoutMs.
            if (gapResumedAt !== answer.lastSeq) {
              answer.gaps++;
              gapResumedAt = answer.lastSeq;
              this.client.send({ type: 'resume', conversationId, streamId, fromSeq: answer.lastSeq + 1 });
            }
            continue;
          }
          if (answer.lastSeq > f.lastSeq)
            throw new Error(`${streamId} ended at ${f.lastSeq} after seq ${answer.lastSeq}`);
          return { ...answer, end: f, resumeLatenciesMs };
        } else if (f.type === 'error' && f.ref === streamId) {
          // A resume refused for now (e.g. the broker briefly unavailable): ask again when told, as the client does.
          const retryAfterMs = f.retryAfterMs;
          if (retryAfterMs === undefined || f.code === 'resume-unavailable')
            throw new Error(`resume of ${streamId} from ${answer.lastSeq + 1} refused: ${f.code} ${f.message}`);
          await new Promise((r) => setTimeout(r, Math.min(retryAfterMs, 5000)));
          answer.retriedResumes++;
          this.client.send({ type: 'resume', conversationId, streamId, fromSeq: answer.lastSeq + 1 });
        } else if (f.type === 'go-away') {
          lostAt ??= performance.now();
          await this.leave(f.reconnectAfterMs ?? 0);
          await this.resume(conversationId, streamId, answer.lastSeq + 1);
          moved = true;
        }
      }
      if (moved || this.read < this.client.frames.length) continue;
      if (!this.client.isOpen) {
        lostAt ??= performance.now();
        this.closeCodes.push(this.client.closeCode ?? 0);
        await this.resume(conversationId, streamId, answer.lastSeq + 1);
        continue;
      }
      const seen = this.client.frames.length;
      const client = this.client;
      await client
        .until(
          (fs) => fs.length > seen || !client.isOpen,
          `more of ${streamId} (after seq ${answer.lastSeq}) or a close`,
          this.options.frameTimeoutMs ?? 120_000,
        )
        .catch((error: unknown) => {
          const shown = this.errors.map((e) => `${e.code} (${e.ref}): ${e.message}`).join('; ');
          throw new Error(
            `${error instanceof Error ? error.message : String(error)}; error frames: ${shown || 'none'}`,
          );
        });
    }
  }

  /** A request/response on the current connection (history, subscribe …): returns the first frame `pick` accepts. */
  async request<T extends ServerFrame>(
    frame: Parameters<ProtocolClient['send']>[0],
    pick: (f: ServerFrame) => f is T,
    timeoutMs = 30_000,
  ): Promise<T> {
    if (!this.client.isOpen) {
      this.closeCodes.push(this.client.closeCode ?? 0);
      this.client = await this.connect();
      this.read = 0;
    }
    const from = this.client.frames.length;
    this.client.send(frame);
    return this.client.until((fs) => fs.slice(from).find(pick), `the answer to ${frame.type}`, timeoutMs);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private take(answer: Omit<FollowedAnswer, 'end' | 'resumeLatenciesMs'>, f: TokenFrame) {
    const place = classifyBatch(answer.lastSeq, f);
    if (place === 'old') {
      answer.duplicates++;
      return place;
    }
    if (place === 'gap') {
      answer.gaps++;
      return place;
    }
    if ((f.firstSeq ?? f.seq) < f.seq) answer.coalescedBatches++;
    answer.text += f.text;
    answer.lastSeq = f.seq;
    return place;
  }

  private noteError(f: ErrorFrame): void {
    this.errors.push(f);
  }

  /** Sends the message and waits for its ack; after a lost connection or a retryable refusal, sends it again. */
  private async send(conversationId: string, clientMessageId: string, text: string, maxTokens: number) {
    const deadline = Date.now() + (this.options.frameTimeoutMs ?? 120_000);
    for (;;) {
      if (!this.client.isOpen || this.client.frames.slice(this.read).some((f) => f.type === 'go-away')) {
        if (this.client.isOpen) await this.leave(0);
        else this.closeCodes.push(this.client.closeCode ?? 0);
        this.client = await this.connect();
        this.read = 0;
      }
      const from = this.client.frames.length;
      this.client.send({ type: 'send', clientMessageId, conversationId, text, maxTokens });
      const client = this.client;
      const reply = await client
        .until(
          (fs) =>
            fs
              .slice(from)
              .find(
                (f) =>
                  (f.type === 'ack' && f.clientMessageId === clientMessageId) ||
                  (f.type === 'error' && f.ref === clientMessageId) ||
                  f.type === 'go-away',
              ) ??
            (!client.isOpen && { type: 'closed' as const }),
          `the ack of ${clientMessageId}`,
          60_000,
        )
        .catch(() => ({ type: 'timeout' as const }));
      if (reply.type === 'ack') {
        this.read = from;
        return reply;
      }
      if (reply.type === 'error') {
        this.noteError(reply);
        if (reply.retryAfterMs === undefined) throw new Error(`message refused: ${reply.code} ${reply.message}`);
        await new Promise((r) => setTimeout(r, Math.min(reply.retryAfterMs!, 5000)));
      }
      if (Date.now() > deadline) throw new Error(`no ack for ${clientMessageId}: last reply ${reply.type}`);
    }
  }

  /** Leaves the current relay: after `delayMs` (a go-away's hint), or as soon as the relay closes the socket. */
  private async leave(delayMs: number): Promise<void> {
    const old = this.client;
    await old.until(() => !old.isOpen, 'close by the draining relay', Math.min(delayMs, 10_000)).catch(() => undefined);
    if (!old.isOpen) this.closeCodes.push(old.closeCode ?? 0);
    await old.close();
  }

  private async resume(conversationId: string, streamId: string, fromSeq: number): Promise<void> {
    this.client = await this.connect();
    this.read = this.client.frames.length;
    this.client.send({ type: 'resume', conversationId, streamId, fromSeq });
  }

  /** Connects to the first relay that takes the connection, starting at a different one each time. */
  private async connect(): Promise<ProtocolClient> {
    const deadline = Date.now() + (this.options.reconnectTimeoutMs ?? 60_000);
    const reconnect = this.client !== undefined;
    const t0 = performance.now();
    if (reconnect) this.reconnects++;
    for (let attempt = 0; ; attempt++) {
      const urls = this.options.urls();
      const url = urls[(this.turn + attempt) % urls.length]!;
      try {
        const client = await ProtocolClient.connect(url, await this.options.token());
        this.turn = (this.turn + attempt + 1) % Math.max(urls.length, 1);
        if (reconnect) {
          this.reconnectMs.push(performance.now() - t0);
          for (const conversationId of this.conversations) client.send({ type: 'subscribe', conversationId });
        }
        return client;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  }
}

/** The value at quantile `q` (0–1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Polls `check` until it holds (bounded). */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `fn` over `items`, `size` at a time (so a thousand sockets do not all connect or ask in one turn). */
export async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(...(await Promise.all(items.slice(i, i + size).map((item, j) => fn(item, i + j)))));
  }
  return out;
}

type AnswerText = Pick<FollowedAnswer, 'text' | 'streamId'>;

/**
 * Checks that each tab's answers are the ones the cluster stored: conversation `conversations[i]` holds exactly
 * `answers[i]` (one answer, or several in order) as its assistant messages, waiting (bounded) for the store to
 * catch up. Rejects with the first difference.
 */
export async function expectStoredAnswers(
  tabs: readonly StreamFollower[],
  conversations: readonly string[],
  answers: readonly (AnswerText | readonly AnswerText[])[],
  timeoutMs = 60_000,
): Promise<void> {
  await inBatches(tabs, 50, async (tab, i) => {
    const conversationId = conversations[i]!;
    const entry = answers[i]!;
    const expected = (Array.isArray(entry) ? entry : [entry]) as readonly AnswerText[];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const page = await tab.request(
        { type: 'history', conversationId, limit: 100 },
        (f): f is Extract<ServerFrame, { type: 'history-page' }> =>
          f.type === 'history-page' && f.conversationId === conversationId,
      );
      const stored = page.messages.filter((m) => m.role === 'assistant').map((m) => m.text);
      if (stored.length === expected.length && stored.every((text, j) => text === expected[j]!.text)) return;
      if (Date.now() > deadline) {
        const got = stored.map((s) => `${s.length} characters`).join(', ');
        const want = expected.map((a) => `${a.streamId}: ${a.text.length} characters`).join(', ');
        throw new Error(`conversation ${conversationId} stores [${got}], not the answers the tab assembled [${want}]`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });
}
