#!/usr/bin/env node
/**
 * Browser benchmark of what a reader feels (headless Debian Chromium, /usr/bin/chromium), each measurement
 * against its baseline in the same run, alternating order across rounds:
 *  1. A large code block (default ~150 KB of TypeScript) closes: highlighted on the main thread vs in the
 *     highlight worker — longest frame gap (main-thread stall) and time until highlighted.
 *  2. A 10k-message transcript scrolled 60 px per frame (up, then back down) while an answer streams into it
 *     at 1,000 tokens/s, vs the same scrolling with no stream — frame times and rendered rows.
 *
 *   npm run bench:ui -w @locallightchat/elements      (options: --rounds N, --chars N, --seconds N)
 */
import { createServer } from 'node:http';
import { bundleForPage, launchChromium, numberArg as arg, writeResult } from './harness.mjs';

const rounds = arg('rounds', 2);
const chars = arg('chars', 150_000);
const seconds = arg('seconds', 6);

const [pageCode, workerCode] = await Promise.all([
  bundleForPage('ui-page.ts'),
  bundleForPage('../src/code/highlight-worker.ts'),
]);

/** ~4-character tokens of a markdown answer with prose and a list (what streams into the transcript). */
function tokens(count) {
  const words =
    'the relay streams tokens from the model server to every open tab while the client renders markdown'.split(' ');
  let seed = 11;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sentence = () =>
    Array.from({ length: 8 + Math.floor(rand() * 10) }, () => words[Math.floor(rand() * words.length)]).join(' ') + '.';
  let text = '';
  for (let s = 1; text.length < count * 4; s++)
    text += `## Part ${s}\n\n${sentence()} **${sentence()}**\n\n- ${sentence()}\n- ${sentence()}\n\n`;
  return text.match(/[\s\S]{1,4}/g).slice(0, count);
}

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
page.on('pageerror', (e) => console.error('page error:', e.message));
page.on('crash', () => console.error('page crashed'));
page.on('console', (m) => m.type() !== 'log' && console.error('page:', m.text()));
// Served from a real origin, so the page can start the worker from a URL as a deployment would.
const files = {
  '/': [
    'text/html',
    '<!doctype html><html><head><style>body{font:16px system-ui;margin:0}</style><script type="module" src="/page.js"></script></head><body></body></html>',
  ],
  '/page.js': ['text/javascript', pageCode],
  '/highlight-worker.js': ['text/javascript', workerCode],
};
const server = createServer((req, res) => {
  if (req.url === '/favicon.ico') return void res.writeHead(204).end();
  const file = files[req.url];
  res.writeHead(file ? 200 : 404, { 'content-type': file?.[0] ?? 'text/plain' }).end(file?.[1] ?? 'not found');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
await page.goto(origin + '/');
await page.waitForFunction(() => 'llcUi' in globalThis);
const workerUrl = origin + '/highlight-worker.js';

const highlight = { inline: [], worker: [] };
const history = { scrolling: [], streaming: [] };
const streamTokens = tokens(seconds * 1000);
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 === 0 ? ['inline', 'worker'] : ['worker', 'inline']) {
    highlight[mode].push(await page.evaluate((o) => globalThis.llcUi.highlight(o), { mode, chars, workerUrl }));
  }
  for (const streaming of round % 2 === 0 ? [false, true] : [true, false]) {
    const r = await page.evaluate((o) => globalThis.llcUi.history(o), {
      streaming,
      seconds,
      tokens: streamTokens,
      tokensPerSecond: 1000,
    });
    history[streaming ? 'streaming' : 'scrolling'].push(r);
  }
}
await browser.close();
server.close();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const max = (xs) => Math.max(...xs);
const round1 = (x) => Math.round(x * 10) / 10;
const hl = Object.fromEntries(
  Object.entries(highlight).map(([k, rs]) => [
    k,
    {
      chars: rs[0].chars,
      msToHighlighted: Math.round(mean(rs.map((r) => r.msToHighlighted))),
      longestFrameGapMs: Math.round(max(rs.map((r) => r.longestFrameGapMs))),
      framesOver50Ms: max(rs.map((r) => r.framesOver50Ms)),
    },
  ]),
);
const hs = Object.fromEntries(
  Object.entries(history).map(([k, rs]) => [
    k,
    {
      frames: Math.round(mean(rs.map((r) => r.frames))),
      p50: round1(mean(rs.map((r) => r.p50))),
      p95: round1(mean(rs.map((r) => r.p95))),
      p99: round1(mean(rs.map((r) => r.p99))),
      maxFrameMs: Math.round(max(rs.map((r) => r.maxFrameMs))),
      framesOver50Ms: max(rs.map((r) => r.framesOver50Ms)),
      maxRenderedRows: max(rs.map((r) => r.maxRenderedRows)),
      streamedChars: max(rs.map((r) => r.streamedChars)),
    },
  ]),
);
console.log(JSON.stringify({ rounds, highlight: hl, history: hs }, null, 2));
console.log(
  `large code block (${hl.worker.chars} chars): longest main-thread stall ${hl.inline.longestFrameGapMs} ms inline vs ${hl.worker.longestFrameGapMs} ms with the worker ` +
    `(${(hl.inline.longestFrameGapMs / hl.worker.longestFrameGapMs).toFixed(1)}× shorter); highlighted after ${hl.inline.msToHighlighted} vs ${hl.worker.msToHighlighted} ms`,
);
console.log(
  `10k-message history scrolled while streaming at 1,000 tok/s: frame p95 ${hs.streaming.p95} ms (no stream: ${hs.scrolling.p95} ms), p99 ${hs.streaming.p99} ms (${hs.scrolling.p99}), ` +
    `frames over 50 ms ${hs.streaming.framesOver50Ms} (${hs.scrolling.framesOver50Ms}), at most ${hs.streaming.maxRenderedRows} rows in the DOM`,
);
writeResult('browser-ui', {
  title: 'What a reader feels: highlighting and history',
  command: `node packages/elements/bench/ui-responsiveness.mjs --rounds ${rounds} --chars ${chars} --seconds ${seconds}`,
  json: { rounds, highlight: hl, history: hs },
  body: [
    `A ${hl.worker.chars.toLocaleString('en')}-character code block closes and gets highlighted: on the main thread vs in the highlight worker (longest gap between frames from the plain block to a few frames after it is highlighted, i.e. the longest stall a reader feels). Then a 10,000-message transcript is scrolled 60 px per frame (up for half of ${seconds} s, then down) while an answer streams into it at 1,000 tokens/s, vs the same scrolling with no stream. Alternating order over ${rounds} round(s).`,
    '',
    '| code block | longest stall, ms | frames over 50 ms | highlighted after, ms |',
    '|---|---|---|---|',
    `| on the main thread | ${hl.inline.longestFrameGapMs} | ${hl.inline.framesOver50Ms} | ${hl.inline.msToHighlighted} |`,
    `| in the worker (ours) | ${hl.worker.longestFrameGapMs} | ${hl.worker.framesOver50Ms} | ${hl.worker.msToHighlighted} |`,
    '',
    '| 10k-message history | frames | p50 ms | p95 ms | p99 ms | max ms | frames over 50 ms | most rows in the DOM |',
    '|---|---|---|---|---|---|---|---|',
    ...[
      ['scrolling', 'scrolling, no stream'],
      ['streaming', 'scrolling while streaming'],
    ].map(
      ([k, label]) =>
        `| ${label} | ${hs[k].frames} | ${hs[k].p50} | ${hs[k].p95} | ${hs[k].p99} | ${hs[k].maxFrameMs} | ${hs[k].framesOver50Ms} | ${hs[k].maxRenderedRows} |`,
    ),
  ].join('\n'),
});
