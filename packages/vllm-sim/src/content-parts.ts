/**
 * Message content as vLLM's OpenAI-compatible server takes it: a string, or an array of parts — `text`, and
 * `image_url` (`{image_url: {url, detail?}}`, an http(s) or `data:` URL) for multimodal models. The simulator
 * does not look at images; it reads what arrived and says so at the start of its answer (e.g. "I received 1
 * image: `https://…/cat.png`."), so tests can see a request's parts reached the model. Other part types
 * (`input_audio`, `video_url`, `file`) are refused with a 400, as a text-and-image model's server does.
 */
import { ApiErrors } from './api-errors.js';
import type { GeneratedToken, TokenSource } from './text-generator.js';

/** A message's content read: its text (parts joined) and the URLs of its images. */
export interface ReadContent {
  text: string;
  images: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `messages[index].content` (400 for anything vLLM would refuse). */
export function readContent(content: unknown, index: number): ReadContent {
  if (content === null || content === undefined) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content))
    throw ApiErrors.validation(`messages[${index}].content must be a string or an array of parts`, 'messages');
  let text = '';
  const images: string[] = [];
  content.forEach((part, p) => {
    const where = `messages[${index}].content[${p}]`;
    if (isObject(part) && part.type === 'text' && typeof part.text === 'string') text += part.text;
    else if (isObject(part) && part.type === 'image_url') {
      const image = part.image_url;
      const url = isObject(image) ? image.url : undefined;
      if (typeof url !== 'string' || !/^(https?:\/\/|data:image\/[\w.+-]+;base64,)/i.test(url))
        throw ApiErrors.validation(`${where}.image_url.url must be an http(s) or base64 data: image URL`, 'messages');
      images.push(url);
    } else throw ApiErrors.validation(`${where}: only text and image_url parts are supported`, 'messages');
  });
  return { text, images };
}

/** How an image URL is named in the answer: a data: URL by its type and size, anything else as is. */
function describeImage(url: string): string {
  const data = /^data:(image\/[\w.+-]+);base64,/i.exec(url);
  if (!data) return `\`${url}\``;
  const payload = url.slice(data[0].length);
  const bytes = Math.floor((payload.length * 3) / 4) - (/==$/.test(payload) ? 2 : /=$/.test(payload) ? 1 : 0);
  return `\`${data[1]} data URL, about ${bytes} bytes\``;
}

/** The sentence the answer starts with when the last user message had images (undefined when it had none). */
export function imagesPreface(images: readonly string[]): string | undefined {
  if (images.length === 0) return undefined;
  return `I received ${images.length} image${images.length === 1 ? '' : 's'}: ${images.map(describeImage).join(', ')}.\n\n`;
}

/** `source` with `preface` as the first answer tokens (after any reasoning, as a model would write it). */
export function withPreface(source: TokenSource, preface: string | undefined): TokenSource {
  if (!preface) return source;
  let pending: GeneratedToken[] | undefined = preface.split(/(?<= )/).map((text) => ({ text, reasoning: false }));
  let held: GeneratedToken | undefined;
  return {
    next() {
      if (pending) {
        if (held === undefined) {
          const token = source.next();
          if (token?.reasoning) return token;
          held = token ?? { text: '', reasoning: false };
        }
        const word = pending.shift();
        if (pending.length === 0) pending = undefined;
        if (word) return word;
      }
      if (held) {
        const token = held;
        held = undefined;
        return token.text === '' ? source.next() : token;
      }
      return source.next();
    },
  };
}
