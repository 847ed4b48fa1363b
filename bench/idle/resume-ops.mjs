// The resume storm's clients inside each load process (loaded by bench/lib/load-worker.mjs as its `extension`;
// driven by run-resume-storm.mjs). Connection i follows stream `<streamPrefix><first+i>` of its conversation and
// checks it by the seq rule: every batch once and in order, each batch's text the one the publisher wrote for its
// seqs (`<seq>.` per seq, resume-publisher.mjs). When its relay dies it reconnects (the worker's jittered retry)
// and, as the browser client does after a welcome (conversation-sync.ts resyncFrames), subscribes to its
// conversation again (with the relay's subscription grant from its first `subscribed`) and resumes the stream
// from its last seq + 1.
//
//   follow {streamPrefix}   installs the check on every connection (after the `subscribe` op claimed each one's
//                           conversation)
//   resumeReport {killedAt} per dropped connection: the time from the kill to its welcome, from the welcome to
//                           `subscribed` (the survivor has read the conversation's retained events), from the kill
//                           to caught up (`subscribed` said nothing was missed, else the replay's first frame) and
//                           to the stream's next frame (which may wait for the publisher's next batch); seq-rule
//                           failures
//   endReport               streams ended and whole (1..lastSeq exactly once, the text right, a normal end)
import { classifyBatch, encodeFrame } from '@locallightchat/protocol';
import { Histogram } from '../lib/histogram.mjs';

/** The text the publisher writes for seqs from..to. */
export function expectedText(from, to) {
  let text = '';
  for (let s = from; s <= to; s++) text += `${s}.`;
  return text;
}

export function extend(worker) {
  const { conns, count, first, convPrefix, onReconnect } = worker;
  const failures = { duplicates: 0, gaps: 0, textMismatch: 0, resumeRetries: 0, examples: [] };
  const errors = {};
  const note = (text) => failures.examples.length < 5 && failures.examples.push(text);
  let streamPrefix;

  const conversationOf = (i) => `${convPrefix}${first + i}`;
  const streamOf = (i) => `${streamPrefix}${first + i}`;

  function onFrame(c, f, at) {
    if (f.type === 'subscribed' && c.backAt && !c.caughtUpAt && f.conversationId === c.conversationId) {
      // The survivor has the conversation open (its retained events read): what it holds of the stream. Nothing
      // missed means the client is caught up now; else when the replay's first frame arrives.
      const state = f.streams.find((x) => x.streamId === c.streamId);
      c.subscribedAt = at;
      if (state && state.lastSeq <= c.lastSeq) c.caughtUpAt = at;
      return;
    }
    if (f.type === 'error') {
      errors[f.code] = (errors[f.code] ?? 0) + 1;
      // A resume refused for now (e.g. the broker busy): asked again when told, as the chaos suite's tab does.
      if (f.ref === c.streamId && f.retryAfterMs !== undefined && f.code !== 'resume-unavailable') {
        failures.resumeRetries++;
        setTimeout(() => c.open && c.ws.send(encodeFrame(resumeFrame(c))), Math.min(f.retryAfterMs, 5000));
      }
      return;
    }
    if (f.streamId !== c.streamId) return;
    if (f.type === 'stream-end') {
      c.end = f;
      return;
    }
    if (f.type !== 'token') return;
    const place = classifyBatch(c.lastSeq, f);
    if (place === 'old') {
      failures.duplicates++;
      note(`${c.streamId}: seq ${f.seq} again after ${c.lastSeq}`);
      return;
    }
    if (place === 'gap') {
      // Counted as a failure; then, as the client does, dropped and resumed from the last seq held (once).
      failures.gaps++;
      note(`${c.streamId}: seq ${f.firstSeq ?? f.seq}..${f.seq} after ${c.lastSeq}`);
      if (c.gapResumedAt !== c.lastSeq) {
        c.gapResumedAt = c.lastSeq;
        c.ws.send(encodeFrame(resumeFrame(c)));
      }
      return;
    }
    const from = f.firstSeq ?? f.seq;
    if (f.text !== expectedText(from, f.seq)) {
      failures.textMismatch++;
      note(`${c.streamId}: seqs ${from}..${f.seq} carried ${JSON.stringify(f.text.slice(0, 40))}`);
    }
    c.lastSeq = f.seq;
    if (c.backAt && !c.nextFrameAt) {
      c.nextFrameAt = at;
      c.caughtUpAt ||= at;
    }
  }

  const resumeFrame = (c) => ({
    type: 'resume',
    conversationId: c.conversationId,
    streamId: c.streamId,
    fromSeq: c.lastSeq + 1,
  });

  onReconnect((i) => {
    const c = conns[i];
    if (!c.streamId) return;
    c.backAt = Date.now();
    const grant = c.grant ? { grant: c.grant } : {};
    c.ws.send(encodeFrame({ type: 'subscribe', conversationId: c.conversationId, ...grant }));
    c.ws.send(encodeFrame(resumeFrame(c)));
  });

  return {
    follow(m) {
      streamPrefix = m.streamPrefix;
      let following = 0;
      for (let i = 0; i < count; i++) {
        const c = conns[i];
        if (!c?.open) continue;
        Object.assign(c, { conversationId: conversationOf(i), streamId: streamOf(i), lastSeq: 0 });
        c.onFrame = (f, at) => onFrame(c, f, at);
        following++;
      }
      return { following };
    },
    resumeReport(m) {
      const welcome = new Histogram();
      const subscribed = new Histogram();
      const caughtUp = new Histogram();
      const nextFrame = new Histogram();
      const afterWelcome = new Histogram();
      let dropped = 0;
      let back = 0;
      let resumed = 0;
      let caught = 0;
      let lastNextFrameAt = 0;
      let lastCaughtUpAt = 0;
      for (const c of conns) {
        // A connection that was dropped: it is back through the worker's retry (backAt) or still away.
        if (!c?.streamId || (!c.backAt && c.open)) continue;
        dropped++;
        if (c.backAt) {
          back++;
          welcome.record(c.backAt - m.killedAt);
        }
        if (c.subscribedAt) subscribed.record(c.subscribedAt - c.backAt);
        if (c.caughtUpAt) {
          caught++;
          caughtUp.record(c.caughtUpAt - m.killedAt);
          lastCaughtUpAt = Math.max(lastCaughtUpAt, c.caughtUpAt);
        }
        if (c.nextFrameAt) {
          resumed++;
          nextFrame.record(c.nextFrameAt - m.killedAt);
          afterWelcome.record(c.nextFrameAt - c.backAt);
          lastNextFrameAt = Math.max(lastNextFrameAt, c.nextFrameAt);
        }
      }
      return {
        dropped,
        back,
        resumed,
        caught,
        lastNextFrameAt,
        lastCaughtUpAt,
        welcome: welcome.toJSON(),
        subscribed: subscribed.toJSON(),
        caughtUp: caughtUp.toJSON(),
        nextFrame: nextFrame.toJSON(),
        afterWelcome: afterWelcome.toJSON(),
        duplicates: failures.duplicates,
        gaps: failures.gaps,
        textMismatch: failures.textMismatch,
        resumeRetries: failures.resumeRetries,
        errors,
        examples: failures.examples,
      };
    },
    endReport() {
      let ended = 0;
      let whole = 0;
      let following = 0;
      for (const c of conns) {
        if (!c?.streamId) continue;
        following++;
        if (!c.end) continue;
        ended++;
        if (c.lastSeq === c.end.lastSeq && !c.end.errorCode) whole++;
        else note(`${c.streamId}: ended at ${c.end.lastSeq} holding ${c.lastSeq} (${c.end.errorCode ?? 'ok'})`);
      }
      return {
        following,
        ended,
        whole,
        duplicates: failures.duplicates,
        gaps: failures.gaps,
        textMismatch: failures.textMismatch,
        errors,
        examples: failures.examples,
      };
    },
  };
}
