// The soak's operations inside each load process (loaded by bench/lib/load-worker.mjs as its `extension`):
//
//   soakStart {streams, maxTokens, pauseMs}  the first `streams` connections of this process ask for answers
//                                            again and again, each in a fresh conversation: send → stream →
//                                            check the answer is whole → read it back from the history → delete
//                                            the conversation (so the store stays at a steady size and what
//                                            grows in the relay is a leak, not chat history) → pause → again
//   soakStop                                 stops asking (answers under way finish) and waits for them
//   soakStats {reset}                        answers counted since the last reset (see `fresh`)
//   churn {sockets}                          closes that many random idle connections and opens them again
//                                            (hello, subscribe): reconnect churn
//
// An answer is whole when its token batches arrive with seqs 1..lastSeq each exactly once (the seq rule's
// `firstSeq..seq` ranges of coalesced frames included), its stream-end names that lastSeq and a normal finish,
// and the text the client assembled equals the assistant message the relay stored.
import { encodeFrame } from '@locallightchat/protocol';

const ANSWER_TIMEOUT_MS = 180_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fresh() {
  return {
    answers: 0,
    whole: 0,
    lostBatches: 0,
    duplicateBatches: 0,
    textMismatch: 0,
    badEnd: 0,
    failed: 0,
    failedCodes: {},
    timeouts: 0,
    refused: {},
    tokenFrames: 0,
    churned: 0,
    churnFailed: 0,
    examples: [],
  };
}

export function extend(worker) {
  const { conns, count, first, convPrefix, connectOnce, subscribe } = worker;
  let stats = fresh();
  let running = false;
  let loops = [];
  let round = 0;
  const note = (text) => stats.examples.length < 5 && stats.examples.push(text);

  /** The connection's set of frame watchers (installed as its `onFrame` on first use). */
  function listen(c) {
    if (!c.waiters) {
      c.waiters = new Set();
      c.onFrame = (f) => c.waiters.forEach((w) => w(f));
    }
    return c.waiters;
  }

  /** Waits for the first frame on connection `c` for which `pick(frame)` returns something; undefined on timeout. */
  function expect(c, pick, timeoutMs) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (value) => {
        clearTimeout(timer);
        c.waiters.delete(check);
        resolve(value);
      };
      const check = (f) => {
        const value = pick(f);
        if (value !== undefined) finish(value);
      };
      listen(c).add(check);
    });
  }

  /** One question and its answer in a fresh conversation; updates `stats`. */
  async function ask(i, maxTokens) {
    const c = conns[i];
    const conversationId = `${convPrefix}${first + i}-r${++round}`;
    const clientMessageId = `m${process.pid}-${i}-${round}`;
    const answer = { streamId: undefined, last: 0, text: '', lost: 0, duplicate: 0 };
    // Token batches arrive before anything else could wait for them: collect from the stream's start.
    const collect = (f) => {
      if (f.type === 'stream-start' && f.conversationId === conversationId) answer.streamId = f.streamId;
      if (f.type !== 'token' || f.streamId !== answer.streamId) return undefined;
      stats.tokenFrames++;
      const from = f.firstSeq ?? f.seq;
      if (f.seq <= answer.last) answer.duplicate++;
      else if (from !== answer.last + 1) answer.lost += from - answer.last - 1;
      if (f.seq > answer.last) {
        // A partial overlap (from ≤ last < seq) would be a resume case; it cannot be split here, so it counts.
        if (from <= answer.last) answer.duplicate++;
        answer.text += f.text;
        answer.last = f.seq;
      }
      return undefined;
    };
    listen(c).add(collect);
    const ended = expect(
      c,
      (f) => {
        if (f.type === 'stream-end' && f.conversationId === conversationId) return f;
        if (f.type === 'error' && f.ref === clientMessageId) return f;
        return undefined;
      },
      ANSWER_TIMEOUT_MS,
    );
    stats.answers++;
    c.ws.send(
      encodeFrame({
        type: 'send',
        clientMessageId,
        conversationId,
        text: `Question ${round}: tell me about soak tests.`,
        maxTokens,
      }),
    );
    const end = await ended;
    c.waiters.delete(collect);
    if (end === undefined) {
      stats.timeouts++;
      note(`${conversationId}: no stream-end within ${ANSWER_TIMEOUT_MS / 1000} s`);
      return;
    }
    if (end.type === 'error') {
      stats.refused[end.code] = (stats.refused[end.code] ?? 0) + 1;
      note(`${conversationId}: refused ${end.code}: ${end.message}`);
      return;
    }
    let whole = answer.lost === 0 && answer.duplicate === 0;
    stats.lostBatches += answer.lost;
    stats.duplicateBatches += answer.duplicate;
    // An error end is a failure reported to the user (e.g. the bridge could not reach the model), not a loss;
    // counted apart, with its code, and not whole.
    if (end.finishReason === 'error') {
      stats.failed++;
      stats.failedCodes[end.errorCode ?? 'none'] = (stats.failedCodes[end.errorCode ?? 'none'] ?? 0) + 1;
    }
    if (end.lastSeq !== answer.last || !['stop', 'length'].includes(end.finishReason)) {
      stats.badEnd++;
      whole = false;
      note(
        `${conversationId}: stream-end lastSeq ${end.lastSeq} (${end.finishReason}${end.errorCode ? ` ${end.errorCode}` : ''}), received up to ${answer.last}`,
      );
    }
    // The stored answer must be the text the client assembled (read back, as a reload would).
    let stored;
    for (let attempt = 0; attempt < 5 && stored === undefined; attempt++) {
      if (attempt > 0) await sleep(500);
      const page = expect(
        c,
        (f) => (f.type === 'history-page' && f.conversationId === conversationId ? f : undefined),
        30_000,
      );
      c.ws.send(encodeFrame({ type: 'history', conversationId, limit: 10 }));
      stored = (await page)?.messages.find((m) => m.role === 'assistant' && m.streamId === answer.streamId);
    }
    if (stored?.text !== answer.text) {
      stats.textMismatch++;
      whole = false;
      note(
        `${conversationId}: stored ${stored ? `${stored.text.length} chars` : 'nothing'}, received ${answer.text.length}`,
      );
    }
    if (whole) stats.whole++;
    const deleted = expect(
      c,
      (f) => (f.type === 'conversation-deleted' && f.conversationId === conversationId ? f : undefined),
      30_000,
    );
    c.ws.send(encodeFrame({ type: 'delete-conversation', conversationId }));
    if ((await deleted) === undefined) note(`${conversationId}: not deleted within 30 s`);
  }

  async function loop(i, { maxTokens, pauseMs }) {
    // Spread the first questions over one pause so the streams do not start in lockstep.
    await sleep(Math.random() * pauseMs);
    while (running) {
      if (conns[i]?.open) await ask(i, maxTokens);
      await sleep(pauseMs * (0.5 + Math.random()));
    }
  }

  return {
    soakStart(m) {
      running = true;
      const n = Math.min(m.streams, count);
      loops = Array.from({ length: n }, (_, i) => loop(i, m));
      return { streaming: n };
    },
    async soakStop() {
      running = false;
      await Promise.all(loops);
      return {};
    },
    soakStats(m) {
      // Examples as one string: the coordinator sums numbers and keeps the last string of its processes.
      const out = { ...stats, examples: stats.examples.join(' | '), open: conns.filter((c) => c?.open).length };
      if (m.reset) stats = fresh();
      return out;
    },
    /** Reconnect churn among the idle connections (those past the streaming ones). */
    async churn(m) {
      const idle = [];
      for (let i = m.streams ?? 0; i < count; i++) if (conns[i]?.open) idle.push(i);
      const picked = [];
      for (let k = 0; k < m.sockets && idle.length > 0; k++)
        picked.push(idle.splice(Math.floor(Math.random() * idle.length), 1)[0]);
      await Promise.all(
        picked.map(async (i) => {
          const c = conns[i];
          c.ws.destroy();
          // The old socket's close handler must run before the new handshake reuses the connection's state.
          for (let t = 0; c.open && t < 100; t++) await sleep(50);
          // A client retries with backoff (the first run lost 797 of 5,203 reconnects for good at load 44).
          for (let attempt = 0; attempt < 4; attempt++) {
            if (attempt > 0) await sleep(2000 * attempt);
            if ((await connectOnce(i)) && (await subscribe(i))) return void stats.churned++;
          }
          stats.churnFailed++;
        }),
      );
      return {};
    },
  };
}
