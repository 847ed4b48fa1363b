/**
 * Deterministic, markdown-rich answers. Given a seed and a few topic words (taken from the prompt), it writes
 * headings, paragraphs with emphasis, inline code and https links, bullet and numbered lists, a table and a
 * fenced code block — the constructs a chat UI's incremental markdown renderer must handle. Text is produced
 * lazily, one block at a time, so a long answer never sits in memory as a whole.
 *
 * Length: each answer has a seeded target length; the answer ends (EOS, finish reason `stop`) after the block
 * in which the target is reached, or earlier at `max_tokens` (finish reason `length`).
 */
import { Rng } from './random.js';
import { tokenize } from './tokenizer.js';

/** One generated token; `reasoning` marks tokens of the thinking phase (vLLM's `delta.reasoning`). */
export interface GeneratedToken {
  text: string;
  reasoning: boolean;
  /** Set on tokens of a tool call's arguments (tool-answer.ts); `name` on the call's first token. */
  tool?: { index: number; name?: string };
}

/** Yields tokens until the answer ends naturally (`undefined` = EOS). */
export interface TokenSource {
  next(): GeneratedToken | undefined;
}

/** What decides an answer: its seed, topic words, and whether it thinks first. */
export interface AnswerOptions {
  seed: number;
  /** Words the answer talks about (e.g. the longest words of the last user message). */
  topic?: readonly string[];
  /** Target length in tokens; default: seeded, lognormal around 260 (30…1500). */
  targetTokens?: number;
  /** Emit a reasoning phase first (a reasoning model with a reasoning parser). */
  reasoning?: boolean;
}

const FALLBACK_TOPIC = ['streaming', 'latency', 'backpressure', 'throughput'];
const STOP_WORDS = new Set([
  'about',
  'after',
  'again',
  'could',
  'every',
  'there',
  'these',
  'their',
  'which',
  'would',
  'should',
  'please',
  'explain',
  'something',
  'tell',
  'what',
  'with',
  'from',
  'that',
  'this',
  'have',
  'does',
]);

/** Up to four distinctive words of a prompt (longest first, stop words dropped), for a topical answer. */
export function topicOf(text: string): string[] {
  const words = [...new Set(text.toLowerCase().match(/\p{L}[\p{L}\p{N}-]{3,24}/gu) ?? [])].filter(
    (w) => !STOP_WORDS.has(w),
  );
  words.sort((x, y) => y.length - x.length || (x < y ? -1 : 1));
  return words.slice(0, 4);
}

/** A seeded answer length: most answers are a few hundred tokens, some are short, a few are long. */
export function targetLength(rng: Rng): number {
  const raw = Math.exp(Math.log(260) + 0.75 * rng.normal());
  return Math.max(30, Math.min(1500, Math.round(raw)));
}

/** A lazily generated, seeded markdown answer, token by token. */
export function createAnswer(options: AnswerOptions): TokenSource {
  const rng = new Rng(options.seed);
  const target = options.targetTokens ?? targetLength(rng);
  const topic = options.topic && options.topic.length > 0 ? options.topic : FALLBACK_TOPIC;
  const writer = new MarkdownWriter(rng, topic);
  const blocks = writer.blocks();
  let reasoningLeft = options.reasoning ? writer.reasoning() : [];
  let pending: string[] = [];
  let emitted = 0;
  let ended = false;
  return {
    next(): GeneratedToken | undefined {
      if (reasoningLeft.length > 0) {
        const text = reasoningLeft[0]!;
        reasoningLeft = reasoningLeft.slice(1);
        return { text, reasoning: true };
      }
      while (pending.length === 0) {
        if (ended || emitted >= target) {
          ended = true;
          return undefined;
        }
        const block = blocks.next();
        if (block.done) {
          ended = true;
          return undefined;
        }
        pending = tokenize((emitted === 0 ? '' : '\n\n') + block.value);
      }
      emitted++;
      return { text: pending.shift()!, reasoning: false };
    },
  };
}

/** Reads a whole answer (tests, non-streaming helpers). */
export function answerText(
  source: TokenSource,
  maxTokens = Infinity,
): { text: string; reasoning: string; tokens: number } {
  let text = '';
  let reasoning = '';
  let tokens = 0;
  while (tokens < maxTokens) {
    const token = source.next();
    if (!token) break;
    tokens++;
    if (token.reasoning) reasoning += token.text;
    else text += token.text;
  }
  return { text, reasoning, tokens };
}

const SUBJECTS = [
  'the server',
  'each client',
  'the scheduler',
  'a relay node',
  'the browser',
  'the queue',
  'every stream',
  'the cache',
  'the worker',
  'this design',
];
const VERBS = [
  'keeps',
  'batches',
  'measures',
  'reorders',
  'coalesces',
  'forwards',
  'bounds',
  'tracks',
  'retries',
  'validates',
];
const OBJECTS = [
  'pending tokens',
  'the first byte',
  'slow consumers',
  'every frame',
  'the request budget',
  'idle connections',
  'the resume point',
  'partial results',
  'its own state',
  'the tail latency',
];
const TAILS = [
  'under load',
  'without blocking the event loop',
  'so nothing is lost on reconnect',
  'before the deadline',
  'in constant memory',
  'at the edge',
  'per connection',
  'when the network is slow',
];
const ADJECTIVES = [
  'predictable',
  'incremental',
  'bounded',
  'resumable',
  'observable',
  'idempotent',
  'lazy',
  'ordered',
];
const CONNECTORS = [
  'In practice,',
  'As a result,',
  'For example,',
  'Most of the time,',
  'Crucially,',
  'On the other hand,',
  'In short,',
];
const HEADINGS = [
  'How it works',
  'Why it matters',
  'Trade-offs',
  'A worked example',
  'Common pitfalls',
  'Measuring it',
  'Next steps',
  'Summary',
];
const LINK_HOSTS = [
  'https://docs.example.com/guide/',
  'https://developer.example.org/articles/',
  'https://en.example.net/wiki/',
];
const LANGUAGES = ['typescript', 'python', 'bash', 'json'] as const;

/** Writes markdown blocks from a seeded RNG. */
class MarkdownWriter {
  constructor(
    private readonly rng: Rng,
    private readonly topic: readonly string[],
  ) {}

  private word(): string {
    return this.rng.pick(this.topic);
  }

  private title(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  private slug(text: string): string {
    return (
      text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'topic'
    );
  }

  private decorate(phrase: string): string {
    const r = this.rng.next();
    if (r < 0.12) return `**${phrase}**`;
    if (r < 0.22) return `*${phrase}*`;
    if (r < 0.3) return `\`${this.slug(phrase).replace(/-/g, '_')}\``;
    if (r < 0.36) return `[${phrase}](${this.rng.pick(LINK_HOSTS)}${this.slug(phrase)})`;
    return phrase;
  }

  private sentence(): string {
    const rng = this.rng;
    const lead = rng.chance(0.25) ? rng.pick(CONNECTORS) : '';
    const subject = rng.chance(0.3) ? `the ${this.word()} layer` : rng.pick(SUBJECTS);
    const object = rng.chance(0.3) ? `${rng.pick(ADJECTIVES)} ${this.word()}` : rng.pick(OBJECTS);
    const body = `${subject} ${rng.pick(VERBS)} ${this.decorate(object)} ${rng.pick(TAILS)}`;
    const text = lead ? `${lead} ${body}` : this.title(body);
    return `${text}.`;
  }

  private paragraph(min = 2, max = 4): string {
    return Array.from({ length: this.rng.int(min, max) }, () => this.sentence()).join(' ');
  }

  private bulletList(): string {
    return Array.from(
      { length: this.rng.int(3, 5) },
      () => `- ${this.decorate(this.title(`${this.rng.pick(ADJECTIVES)} ${this.word()}`))}: ${this.sentence()}`,
    ).join('\n');
  }

  private numberedList(): string {
    return Array.from({ length: this.rng.int(3, 5) }, (_, i) => `${i + 1}. ${this.sentence()}`).join('\n');
  }

  private table(): string {
    const rows = Array.from({ length: this.rng.int(3, 5) }, () => {
      const name = this.title(`${this.rng.pick(ADJECTIVES)} ${this.word()}`);
      return `| ${name} | ${this.rng.int(1, 500)} ms | ${this.rng.pick(['yes', 'no', 'partly'])} |`;
    });
    return ['| Approach | Latency | Resumable |', '| --- | ---: | :---: |', ...rows].join('\n');
  }

  private codeBlock(): string {
    const language = this.rng.pick(LANGUAGES);
    const name = this.slug(this.word()).replace(/-/g, '_');
    const n = this.rng.int(2, 64);
    const lines = CODE[language](name, n);
    return ['```' + language, ...lines, '```'].join('\n');
  }

  /** Blocks forever; the caller stops at the target length. The first blocks always show the rich constructs. */
  *blocks(): Generator<string> {
    const topic = this.title(this.topic.slice(0, 2).join(' and '));
    yield `## ${topic}`;
    yield this.paragraph(2, 3);
    yield this.bulletList();
    yield this.codeBlock();
    yield this.paragraph();
    yield this.table();
    yield this.numberedList();
    for (;;) {
      yield `### ${this.rng.pick(HEADINGS)}`;
      yield this.paragraph();
      const kind = this.rng.int(0, 3);
      if (kind === 0) yield this.bulletList();
      else if (kind === 1) yield this.numberedList();
      else if (kind === 2) yield this.codeBlock();
      else yield this.table();
    }
  }

  /** A short thinking phase: plain sentences, ending with a blank line as reasoning parsers leave it. */
  reasoning(): string[] {
    const lines = [
      `The user asks about ${this.topic.join(', ')}.`,
      this.paragraph(1, 3),
      'I will answer with a short structured overview.',
    ];
    return tokenize(lines.join(' '));
  }
}

const CODE: Record<(typeof LANGUAGES)[number], (name: string, n: number) => string[]> = {
  typescript: (name, n) => [
    `export async function ${name}Batch(items: string[]): Promise<number> {`,
    `  const batch = items.slice(0, ${n});`,
    '  for (const item of batch) await send(item);',
    '  return batch.length;',
    '}',
  ],
  python: (name, n) => [
    `def ${name}_window(values, size=${n}):`,
    '    """Yield sliding windows."""',
    '    for i in range(len(values) - size + 1):',
    '        yield values[i : i + size]',
  ],
  bash: (name, n) => [
    `# ${name}: ${n} parallel requests`,
    `seq ${n} | xargs -P 8 -I{} curl -s https://api.example.com/${name}/{}`,
  ],
  json: (name, n) => [
    '{',
    `  "name": "${name}",`,
    `  "maxInFlight": ${n},`,
    '  "retry": { "attempts": 3, "backoffMs": 250 }',
    '}',
  ],
};
