/** Attachments on send frames and stored messages (packages/protocol/src/attachments.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATTACHMENT_LIMITS,
  attachmentProblem,
  decodeClientFrame,
  decodeServerFrame,
  encodeFrame,
  frameToWire,
  isAttachmentUrl,
  isImageAttachment,
  type Attachment,
  type SendFrame,
} from '../src/index.js';
import { Packr } from 'msgpackr';

const image: Attachment = { id: 'up_1', name: 'cat.png', mediaType: 'image/png', size: 1234, url: '/uploads/up_1' };
const send = (attachments: unknown[]): SendFrame =>
  ({ type: 'send', clientMessageId: 'cm_1', conversationId: 'c1', text: 'look', attachments }) as SendFrame;
/** The frame as a hostile client could write it: the same array with its attachments replaced by raw values. */
function rawSend(attachments: unknown): Uint8Array {
  const wire = frameToWire(send([image])) as unknown[];
  wire[wire.length - 1] = attachments;
  return new Packr({ useRecords: false }).pack(wire);
}

describe('attachments', () => {
  it('round-trip on send frames and stored messages, and a frame without them is unchanged', () => {
    const frame = send([
      image,
      { ...image, id: 'up_2', name: 'notes.txt', mediaType: 'text/plain', url: 'https://files.example.com/a?sig=x' },
    ]);
    const decoded = decodeClientFrame(encodeFrame(frame));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.frame, frame);
    const message = decodeServerFrame(
      encodeFrame({
        type: 'message',
        conversationId: 'c1',
        message: { id: 'm1', role: 'user', text: 'look', createdAt: 1, attachments: [image] },
      }),
    );
    assert.ok(message.ok && message.frame.type === 'message');
    assert.deepEqual(message.frame.message.attachments, [image]);
    const plain = decodeClientFrame(
      encodeFrame({ type: 'send', clientMessageId: 'cm_2', conversationId: 'c1', text: 'x' }),
    );
    assert.ok(plain.ok && plain.frame.type === 'send' && !('attachments' in plain.frame));
  });

  it('accept https URLs and paths on the origin only', () => {
    for (const url of ['https://files.example.com/a.png', '/uploads/x', '/uploads/x?download=1'])
      assert.ok(isAttachmentUrl(url), url);
    for (const url of [
      'http://files.example.com/a.png',
      'data:image/png;base64,AAAA',
      'blob:https://a.example/1',
      'javascript:alert(1)',
      '//evil.example/a.png',
      '/\\evil.example',
      'uploads/x',
      'https://user:pw@files.example.com/a',
      'https://files.example.com/a b',
      ' /uploads/x',
      `/${'a'.repeat(ATTACHMENT_LIMITS.urlChars)}`,
      '',
    ])
      assert.ok(!isAttachmentUrl(url), url);
  });

  it('refuse frames with a bad URL, name, media type, size or too many attachments, saying which field', () => {
    const wireImage = [image.id, image.name, image.mediaType, image.size, image.url];
    const cases: [unknown, RegExp][] = [
      [[[...wireImage.slice(0, 4), 'javascript:alert(1)']], /attachments\[0\]\.url/],
      [[[...wireImage.slice(0, 4), 'http://a.example/x']], /attachments\[0\]\.url/],
      [[[image.id, 'a\u202eexe.png', ...wireImage.slice(2)]], /attachments\[0\]\.name/],
      [[[image.id, 'x\nname', ...wireImage.slice(2)]], /attachments\[0\]\.name/],
      [[[image.id, '', ...wireImage.slice(2)]], /attachments\[0\]\.name/],
      [[[image.id, image.name, 'text/html; charset=utf-8', image.size, image.url]], /attachments\[0\]\.mediaType/],
      [[[image.id, image.name, image.mediaType, -1, image.url]], /attachments\[0\]\.size/],
      [[[image.id, image.name, image.mediaType, ATTACHMENT_LIMITS.maxBytes + 1, image.url]], /attachments\[0\]\.size/],
      [[['../etc', image.name, image.mediaType, image.size, image.url]], /attachments\[0\]\.id/],
      [Array.from({ length: ATTACHMENT_LIMITS.perMessage + 1 }, () => wireImage), /attachments/],
      ['not a list', /attachments/],
    ];
    for (const [attachments, field] of cases) {
      const decoded = decodeClientFrame(rawSend(attachments));
      assert.ok(!decoded.ok, `refused: ${JSON.stringify(attachments).slice(0, 80)}`);
      assert.match(decoded.error.message, field);
    }
    const most = decodeClientFrame(rawSend(Array.from({ length: ATTACHMENT_LIMITS.perMessage }, () => wireImage)));
    assert.ok(most.ok, 'the limit itself is accepted');
  });

  it('attachmentProblem gives the relay’s answer before sending; images are raster types only', () => {
    assert.equal(attachmentProblem(image), undefined);
    assert.match(attachmentProblem({ ...image, url: 'data:image/png;base64,AA' }) ?? '', /url/);
    assert.ok(isImageAttachment({ mediaType: 'image/jpeg' }));
    assert.ok(!isImageAttachment({ mediaType: 'image/svg+xml' }), 'SVG can carry script: a file chip, not a thumbnail');
  });
});
