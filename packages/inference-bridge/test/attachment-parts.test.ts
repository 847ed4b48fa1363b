/**
 * Attachments → OpenAI content parts (src/attachments/content-parts.ts): image URLs made absolute, images inlined
 * as data: URLs when configured, text files' text as text parts (cut at the limit), other files named, a
 * vanished file named rather than failing the answer; and the request body vLLM gets.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PromptMessage } from '@locallightchat/broker';
import type { Attachment } from '@locallightchat/protocol';
import { resolveAttachmentParts } from '../src/attachments/content-parts.js';
import { chatCompletionBody } from '../src/backends/openai-wire.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
const image: Attachment = {
  id: 'up_1',
  name: 'cat.png',
  mediaType: 'image/png',
  size: PNG.length,
  url: '/uploads/up_1',
};
const notes: Attachment = { id: 'up_2', name: 'notes.txt', mediaType: 'text/plain', size: 11, url: '/uploads/up_2' };
const pdf: Attachment = { id: 'up_3', name: 'a.pdf', mediaType: 'application/pdf', size: 99, url: '/uploads/up_3' };
const gone: Attachment = { ...notes, id: 'up_4', name: 'gone.txt', url: '/uploads/up_4' };

describe('bridge: attachments as content parts', () => {
  let server: Server;
  let baseUrl: string;
  const fetched: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      fetched.push(req.url ?? '');
      if (req.url === '/uploads/up_1') return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      if (req.url === '/uploads/up_2') return res.writeHead(200).end('hello notes');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const messages: PromptMessage[] = [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'look', attachments: [image, notes, pdf, gone] },
  ];

  it('by default: image URLs (absolute), text files as text, other files named, nothing lost on a missing file', async () => {
    const logged: string[] = [];
    const out = await resolveAttachmentParts(messages, { baseUrl }, (m) => logged.push(m));
    assert.deepEqual(out[0], messages[0], 'messages without attachments are unchanged');
    assert.deepEqual(out[1]?.parts, [
      { type: 'text', text: 'look' },
      { type: 'image_url', image_url: { url: `${baseUrl}/uploads/up_1` } },
      { type: 'text', text: 'Attached file "notes.txt" (text/plain):\n\nhello notes' },
      { type: 'text', text: 'Attached file "a.pdf" (application/pdf, 99 bytes); its content is not readable here.' },
      { type: 'text', text: 'Attached file "gone.txt" (text/plain, 11 bytes) could not be read.' },
    ]);
    assert.ok(!fetched.includes('/uploads/up_1'), 'the image is not fetched in url mode');
    assert.equal(logged.length, 1, 'the missing file is logged');

    const body = chatCompletionBody({ requestId: 'r', messages: out, maxTokens: 5 }, 'm') as {
      messages: { role: string; content: unknown }[];
    };
    assert.deepEqual(body.messages[0], { role: 'system', content: 'be brief' });
    assert.deepEqual(body.messages[1], { role: 'user', content: out[1]?.parts });
  });

  it('inlines images as data: URLs when configured, cuts long file text, or leaves parts out', async () => {
    const inline = await resolveAttachmentParts(
      messages,
      { baseUrl, images: 'data-url', fileTextMaxChars: 5 },
      () => {},
    );
    assert.deepEqual(inline[1]?.parts?.[1], {
      type: 'image_url',
      image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` },
    });
    assert.deepEqual(inline[1]?.parts?.[2], {
      type: 'text',
      text: 'Attached file "notes.txt" (text/plain):\n\nhello\n[… cut at 5 characters]',
    });
    const omitted = await resolveAttachmentParts(messages, { baseUrl, images: 'omit', files: 'omit' }, () => {});
    assert.deepEqual(omitted[1]?.parts, [{ type: 'text', text: 'look' }]);
    const noBase = await resolveAttachmentParts(messages.slice(1), { files: 'name' }, () => {});
    assert.match(JSON.stringify(noBase[0]?.parts?.[1]), /not reachable from here/);
  });
});
