// Workloads for the routing benchmark, all seeded and deterministic. Prompts are made of pseudo-words that the
// simulator's tokenizer counts as one token each (" " + 3–6 letters), so "6,000 tokens" means 6,000 tokens.
//
// - b2b:      llm-d's shape: C customers, each with a long context (system prompt), single-turn questions
//             arriving as a Poisson process, a customer picked uniformly per request.
// - chat:     multi-turn chats: conversations start as a Poisson process; each turn resends the whole
//             conversation (system prompt, every earlier question and answer) plus a new question, after the
//             previous answer and a think time.
// - control:  low sharing: every prompt is unique (same sizes as b2b), so no router can win on cache.
// - bursty:   b2b arrivals in bursts (all of a burst at the same instant), same mean rate.

export function rng(seed) {
  let s = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/**
 * 4,096 distinct pseudo-words of 2–5 letters: with the leading space, ~4.5 characters per token, near English
 * under a BPE tokenizer (~4.4), which the approximate router's character blocks assume.
 */
export const WORDS = (() => {
  const r = rng(42);
  const set = new Set();
  while (set.size < 4096) {
    const n = 2 + Math.floor(r() * 4);
    let w = '';
    for (let i = 0; i < n; i++) w += LETTERS[Math.floor(r() * 26)];
    set.add(w);
  }
  return [...set];
})();

export function text(tokens, r) {
  let out = '';
  for (let i = 0; i < tokens; i++) out += ' ' + WORDS[Math.floor(r() * WORDS.length)];
  return out;
}

/** Lognormal with the given mean, clamped. */
function lengthOf(r, mean, min, max, sigma = 0.5) {
  const u1 = Math.max(r(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r());
  const v = mean * Math.exp(sigma * z - (sigma * sigma) / 2);
  return Math.max(min, Math.min(max, Math.round(v)));
}

function exp(r, rate) {
  return -Math.log(Math.max(r(), 1e-12)) / rate;
}

export const WORKLOADS = {
  b2b: {
    customers: 150,
    contextTokens: 6000,
    questionTokens: 300,
    outputTokens: 300,
  },
  chat: { systemTokens: 400, questionTokens: 200, outputTokens: 250, turns: [3, 8], thinkMs: 8000 },
  control: { contextTokens: 6000, questionTokens: 300, outputTokens: 300 },
  bursty: { burstSize: 40 },
};

/**
 * An arrival process: `first()` gives the initial arrivals; `onFinish(req, answerText, t)` may give follow-ups
 * (next turns). Each request: { t, id, conversation, messages, outputTokens }.
 */
export function makeWorkload(kind, { rate, durationMs, seed = 1, scale = 1 }) {
  const r = rng(seed);
  const W = WORKLOADS;
  let n = 0;
  const id = () => `q${++n}`;
  if (kind === 'b2b' || kind === 'bursty' || kind === 'control') {
    const spec = W.b2b;
    const customers = Math.max(1, Math.round(spec.customers * scale));
    const contexts = Array.from(
      { length: customers },
      (_, c) => `Customer ${c} handbook.` + text(spec.contextTokens, rng(1000 + c)),
    );
    const arrivals = [];
    const add = (t) => {
      const c = Math.floor(r() * customers);
      const question = `Question for customer ${c}:` + text(lengthOf(r, spec.questionTokens, 50, 1500), r);
      const system = kind === 'control' ? `Unique context ${n}.` + text(spec.contextTokens, r) : contexts[c];
      arrivals.push({
        t,
        id: id(),
        conversation: kind === 'control' ? `u${n}` : `c${c}-${n}`,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: question },
        ],
        outputTokens: lengthOf(r, spec.outputTokens, 20, 2000),
      });
    };
    if (kind === 'bursty') {
      const size = W.bursty.burstSize;
      for (let t = 0; t < durationMs; t += (size / rate) * 1000) for (let k = 0; k < size; k++) add(t);
    } else {
      for (let t = exp(r, rate) * 1000; t < durationMs; t += exp(r, rate) * 1000) add(t);
    }
    return { arrivals, onFinish: () => [] };
  }
  if (kind === 'chat') {
    const spec = W.chat;
    const system = 'You are a helpful assistant.' + text(spec.systemTokens, rng(7));
    const arrivals = [];
    const convs = new Map();
    // Conversations start so that the request rate (turns included) is about `rate`.
    const meanTurns = (spec.turns[0] + spec.turns[1]) / 2;
    for (let t = exp(r, rate / meanTurns) * 1000; t < durationMs; t += exp(r, rate / meanTurns) * 1000) {
      const conv = `k${convs.size}`;
      const turns = spec.turns[0] + Math.floor(r() * (spec.turns[1] - spec.turns[0] + 1));
      const messages = [
        { role: 'system', content: system },
        { role: 'user', content: text(lengthOf(r, spec.questionTokens, 20, 1000), r) },
      ];
      convs.set(conv, { turns, done: 0 });
      arrivals.push({
        t,
        id: id(),
        conversation: conv,
        messages,
        outputTokens: lengthOf(r, spec.outputTokens, 20, 1500),
      });
    }
    const onFinish = (req, answer, t) => {
      const c = convs.get(req.conversation);
      c.done++;
      if (c.done >= c.turns || t > durationMs) return [];
      const messages = [
        ...req.messages,
        { role: 'assistant', content: answer },
        { role: 'user', content: text(lengthOf(r, spec.questionTokens, 20, 1000), r) },
      ];
      return [
        {
          t: t + exp(r, 1 / spec.thinkMs),
          id: id(),
          conversation: req.conversation,
          messages,
          outputTokens: lengthOf(r, spec.outputTokens, 20, 1500),
        },
      ];
    };
    return { arrivals, onFinish };
  }
  throw new Error(`unknown workload ${kind}`);
}
