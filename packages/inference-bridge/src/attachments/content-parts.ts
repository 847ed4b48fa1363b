/**
 * Attachments → OpenAI content parts. A user turn with attachments is sent as `content: [{type: 'text'}, …]`:
 *
 * - images (png, jpeg, gif, webp, avif, bmp) as `{type: 'image_url', image_url: {url}}`: with `images: 'url'`
 *   (the default) the attachment's URL, made absolute against `baseUrl` when it is a path on the relay's origin
 *   (the model server fetches it: it must reach the store); with `images: 'data-url'` the bridge fetches the
 *   bytes and inlines them as a base64 `data:` URL (for backends that cannot reach the store); `omit` leaves
 *   them out (a text-only model);
 * - files with `files: 'text'` (the default): text-like files (text/*, JSON, XML, YAML, CSV) are fetched and
 *   their text added as a text part (`Attached file "notes.txt" (text/plain):` then the text, cut at
 *   `fileTextMaxChars`); other files are named in a text part (`Attached file "a.pdf" (application/pdf, 1234
 *   bytes); its content is not readable here.`); `name` names every file that way; `omit` leaves them out.
 *
 * A fetch that fails (or is larger than `maxFetchBytes`) turns into a text part saying so, and is logged: an
 * old attachment that vanished from the store must not make every later answer of the conversation fail.
 */
import type { PromptMessage } from '@locallightchat/broker';
import { isImageAttachment, type Attachment } from '@locallightchat/protocol';

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** A prompt message with its attachments resolved into parts (the text first, then one part per attachment). */
export type InferenceMessage = PromptMessage & { parts?: ContentPart[] };

export interface AttachmentPolicy {
  /** How images reach the model (default `url`). */
  images?: 'url' | 'data-url' | 'omit';
  /** How files reach the model (default `text`). */
  files?: 'text' | 'name' | 'omit';
  /**
   * The origin attachment paths (`/uploads/…`) are relative to: the relay's public URL, e.g.
   * `https://chat.example.com` (a function when it is known only later, as in the embedded stack). Without it,
   * such attachments are named in text only.
   */
  baseUrl?: string | (() => string | undefined);
  /** Characters of a file's text given to the model (default 100,000). */
  fileTextMaxChars?: number;
  /** Largest attachment the bridge fetches (default 10 MiB). */
  maxFetchBytes?: number;
  /** Per-fetch timeout, ms (default 10 s). */
  fetchTimeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export const DEFAULT_ATTACHMENT_POLICY = {
  images: 'url',
  files: 'text',
  fileTextMaxChars: 100_000,
  maxFetchBytes: 10 * 1024 * 1024,
  fetchTimeoutMs: 10_000,
} as const satisfies AttachmentPolicy;

type Log = (message: string, error?: unknown, fields?: Record<string, unknown>) => void;

const TEXT_LIKE = /^(text\/[\w.+-]+|application\/(json|xml|yaml|x-yaml|csv|[\w.-]+\+(json|xml)))$/i;

/** Resolves every message's attachments into content parts (messages without attachments are kept as they are). */
export async function resolveAttachmentParts(
  messages: readonly PromptMessage[],
  policy: AttachmentPolicy,
  log: Log,
  signal?: AbortSignal,
): Promise<InferenceMessage[]> {
  if (!messages.some((m) => m.attachments?.length)) return [...messages];
  const resolved = new Resolver(policy, log, signal);
  return Promise.all(
    messages.map(async (m): Promise<InferenceMessage> => {
      if (!m.attachments?.length) return m;
      const parts: ContentPart[] = m.content === '' ? [] : [{ type: 'text', text: m.content }];
      for (const a of m.attachments) {
        const part = await resolved.part(a);
        if (part) parts.push(part);
      }
      return { ...m, parts };
    }),
  );
}

class Resolver {
  readonly #policy: Required<Omit<AttachmentPolicy, 'baseUrl'>>;
  readonly #baseUrl: string | undefined;

  constructor(
    policy: AttachmentPolicy,
    private readonly log: Log,
    private readonly signal?: AbortSignal,
  ) {
    this.#policy = { ...DEFAULT_ATTACHMENT_POLICY, fetch: globalThis.fetch, ...stripUndefined(policy) };
    this.#baseUrl = typeof policy.baseUrl === 'function' ? policy.baseUrl() : policy.baseUrl;
  }

  async part(a: Attachment): Promise<ContentPart | undefined> {
    const { images, files } = this.#policy;
    if (isImageAttachment(a)) {
      if (images === 'omit') return undefined;
      const url = this.#absolute(a);
      if (!url) return note(`Attached image "${a.name}" (${a.mediaType}); it is not reachable from here.`);
      if (images === 'url') return { type: 'image_url', image_url: { url } };
      const bytes = await this.#fetch(a, url);
      if (!bytes) return note(`Attached image "${a.name}" (${a.mediaType}) could not be read.`);
      return { type: 'image_url', image_url: { url: `data:${a.mediaType};base64,${bytes.toString('base64')}` } };
    }
    if (files === 'omit') return undefined;
    const named = `Attached file "${a.name}" (${a.mediaType}, ${a.size} bytes)`;
    if (files === 'name' || !TEXT_LIKE.test(a.mediaType)) return note(`${named}; its content is not readable here.`);
    const url = this.#absolute(a);
    const bytes = url ? await this.#fetch(a, url) : undefined;
    if (!bytes) return note(`${named} could not be read.`);
    let text = bytes.toString('utf8');
    const max = this.#policy.fileTextMaxChars;
    if (text.length > max) text = `${text.slice(0, max)}\n[… cut at ${max} characters]`;
    return note(`Attached file "${a.name}" (${a.mediaType}):\n\n${text}`);
  }

  /** The attachment's URL as the model server or the bridge can fetch it, or undefined. */
  #absolute(a: Attachment): string | undefined {
    if (!a.url.startsWith('/')) return a.url;
    if (!this.#baseUrl) return undefined;
    return new URL(a.url, this.#baseUrl).href;
  }

  async #fetch(a: Attachment, url: string): Promise<Buffer | undefined> {
    const { maxFetchBytes, fetchTimeoutMs } = this.#policy;
    if (a.size > maxFetchBytes) {
      this.log(`attachment ${a.id} is larger than maxFetchBytes (${a.size} > ${maxFetchBytes}): not read`);
      return undefined;
    }
    try {
      const signals = [AbortSignal.timeout(fetchTimeoutMs), ...(this.signal ? [this.signal] : [])];
      const response = await this.#policy.fetch(url, { signal: AbortSignal.any(signals), redirect: 'error' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = Buffer.from(await response.arrayBuffer());
      if (body.byteLength > maxFetchBytes) throw new Error(`larger than maxFetchBytes (${body.byteLength})`);
      return body;
    } catch (error) {
      this.log(`attachment ${a.id} could not be fetched`, error, { url });
      return undefined;
    }
  }
}

const note = (text: string): ContentPart => ({ type: 'text', text });

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
