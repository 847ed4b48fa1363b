/**
 * Runs in the throttled-stream benchmark page (throttled-stream.mjs): a whole `<llc-message-list>` (markdown
 * chunk, incremental renderer, announcer, virtualizer) or one `<llc-message>` alone receives a streamed answer,
 * one chunk per task, as the client would hand it over; or, for the baseline, the same timers with nothing
 * rendered. Long tasks are counted by a PerformanceObserver over the run only; the list's announcements come
 * with their times.
 */
import type { ClientMessage } from '@locallightchat/client';
import '../src/llc-message-list.js';
import type { LlcMessageList } from '../src/llc-message-list.js';
import type { LlcMessage } from '../src/llc-message.js';

export interface ThrottledOptions {
  tokens: string[];
  tokensPerSecond: number;
  chunkMs: number;
  /** What receives the answer: the whole list, one `<llc-message>` alone, or nothing (the baseline). */
  target: 'list' | 'message' | 'none';
}

export interface ThrottledResult {
  longTasks: number[];
  /** Gaps between consecutive announcements of the live region, ms. */
  announceGaps: number[];
  announcements: number;
  /** From the first chunk to the answer shown whole, ms. */
  elapsedMs: number;
}

const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

async function run(o: ThrottledOptions): Promise<ThrottledResult> {
  const longTasks: number[] = [];
  const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)));
  document.body.replaceChildren();
  let list: LlcMessageList | undefined;
  let single: LlcMessage | undefined;
  if (o.target === 'message') {
    single = document.createElement('llc-message');
    single.setAttribute('role-name', 'assistant');
    single.style.cssText = 'display:block;height:780px;overflow:auto';
    document.body.append(single);
    await single.updateComplete;
  }
  if (o.target === 'list') {
    list = document.createElement('llc-message-list');
    list.style.cssText = 'display:block;height:780px';
    document.body.append(list);
    await list.updateComplete;
    for (let i = 0; i < 10; i++) await frame();
  }
  // A page sits a while between loading and its first answer (the markdown chunk arrives, idle work runs): so here.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const message = (text: string, status: ClientMessage['status']): ClientMessage => ({
    key: 'a1',
    role: 'assistant',
    text,
    reasoning: '',
    createdAt: 1,
    status,
    lastSeq: 1,
    streamId: 's1',
  });
  observer.observe({ type: 'longtask', buffered: false });
  const perChunk = Math.max(1, Math.round((o.tokensPerSecond * o.chunkMs) / 1000));
  const started = performance.now();
  let text = '';
  let sent = 0;
  await new Promise<void>((resolve) => {
    const next = () => {
      const due = Math.min(
        o.tokens.length,
        Math.floor(((performance.now() - started) / 1000) * o.tokensPerSecond) + perChunk,
      );
      while (sent < due) text += o.tokens[sent++];
      const status = sent < o.tokens.length ? 'streaming' : 'done';
      if (list) list.messages = [message(text, status)];
      if (single) Object.assign(single, { text, status });
      if (sent < o.tokens.length) setTimeout(next, o.chunkMs);
      else resolve();
    };
    setTimeout(next, o.chunkMs);
  });
  if (list || single) {
    const article = () =>
      (single ?? list!.shadowRoot!.querySelector('llc-message'))?.shadowRoot?.querySelector(
        'article[aria-busy="false"]',
      );
    while (!article()) await frame();
  }
  for (let i = 0; i < 30; i++) await frame(); // the last announcements and highlighting slices
  const elapsedMs = performance.now() - started;
  observer.disconnect();
  const said = list?.announcements ?? [];
  const announceGaps = said.slice(1).map((a, i) => a.at - said[i]!.at);
  return { longTasks, announceGaps, announcements: said.length, elapsedMs };
}

(globalThis as unknown as { llcThrottled: typeof run }).llcThrottled = run;
