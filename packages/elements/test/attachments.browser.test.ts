/**
 * Attachments in the elements: the composer takes files by the picker (its button opens the file input),
 * paste and drop; refuses types, sizes and counts past its limits in words (announced); shows chips with a
 * thumbnail, size and Remove; sends them with the message; axe-clean with chips and an error shown; the
 * transcript shows a stored image as a thumbnail and a file as a chip. The client is real but not connected
 * (files stay `queued`: the upload itself runs in e2e/attachments.e2e.ts against the real stack).
 */
import { expect, fixture, html } from '@open-wc/testing';
import { LlcClient, relayPresign, type ClientMessage } from '@locallightchat/client';
import '../src/index.js';
import type { LlcComposer, LlcMessage } from '../src/index.js';
import { composerAttachmentsChunk } from '../src/parts/load-composer-attachments.js';
import { axe } from './support/axe.js';

const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);
const png = (name = 'pixel.png') => new File([PNG], name, { type: 'image/png' });
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

function offlineClient(): LlcClient {
  return new LlcClient({
    url: 'ws://127.0.0.1:9/ws',
    getToken: () => 'unused',
    autoConnect: false,
    connection: 'direct',
    storage: false,
    presignUpload: relayPresign('http://127.0.0.1:9/uploads'),
  });
}

async function composer(client = offlineClient()): Promise<LlcComposer> {
  const el = await fixture<LlcComposer>(
    html`<llc-composer
      .client=${client}
      .conversationId=${'c_attach'}
      max-files="3"
      max-file-bytes="1000"
    ></llc-composer>`,
  );
  await el.updateComplete;
  return el;
}

const chips = (el: LlcComposer) => [...el.shadowRoot!.querySelectorAll<HTMLElement>('[part="attachment"]')];
const status = (el: LlcComposer) => el.shadowRoot!.querySelector('[role="status"]')!;

describe('attachments', () => {
  it('offers no attach button without an upload hook', async () => {
    const client = new LlcClient({
      url: 'ws://127.0.0.1:9/ws',
      getToken: () => 'x',
      autoConnect: false,
      storage: false,
    });
    const el = await composer(client);
    expect(el.shadowRoot!.querySelector('[part="attach-button"]')).to.equal(null);
    client.close();
  });

  // First in this file (a page of its own): the chunk is loaded once per page.
  it('loads the attachments code after the composer shows its Attach button; files wait for it, and so does updateComplete', async () => {
    const load = composerAttachmentsChunk.import;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let requested = 0;
    composerAttachmentsChunk.import = () => (requested++, held.then(load));
    try {
      const client = offlineClient();
      const el = await composer(client);
      expect(el.shadowRoot!.querySelector('[part="attach-button"]')).to.not.equal(null);
      expect(requested).to.equal(1, 'fetched once the Attach button shows');
      el.addFiles([png('early.png')]);
      el.addFiles([png('second.png')]);
      expect(requested).to.equal(1);
      await nextFrame();
      expect(chips(el)).to.have.length(0, 'the chunk is held back');
      const send = el.shadowRoot!.querySelector<HTMLButtonElement>('[part="send-button"]')!;
      expect(send.disabled).to.equal(true);
      let settled = false;
      void el.updateComplete.then(() => (settled = true));
      await nextFrame();
      expect(settled).to.equal(false, 'updateComplete waits for the files being added');
      release();
      await el.updateComplete;
      expect(chips(el).map((c) => c.querySelector('.chip-name')!.textContent)).to.deep.equal([
        'early.png',
        'second.png',
      ]);
      expect(send.disabled).to.equal(false);
      client.close();
    } finally {
      composerAttachmentsChunk.import = load;
    }
  });

  it('picker, paste and drop add chips; limits refuse in words; Remove and Send empty the composer', async () => {
    const client = offlineClient();
    const el = await composer(client);
    const button = el.shadowRoot!.querySelector<HTMLButtonElement>('[part="attach-button"]')!;
    expect(button.getAttribute('aria-label')).to.equal('Attach files');
    const picker = el.shadowRoot!.querySelector<HTMLInputElement>('input[type=file]')!;
    let opened = 0;
    picker.addEventListener('click', (e) => {
      opened++;
      e.preventDefault();
    });
    button.click();
    expect(opened).to.equal(1, 'the button opens the file picker');

    // Picked.
    const picked = new DataTransfer();
    picked.items.add(png('picked.png'));
    picker.files = picked.files;
    picker.dispatchEvent(new Event('change'));
    // Pasted.
    const pasted = new DataTransfer();
    pasted.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    const textarea = el.shadowRoot!.querySelector('textarea')!;
    textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
    // Dropped: one fine, one too large, one of a refused type.
    const dropped = new DataTransfer();
    dropped.items.add(png('dropped.png'));
    dropped.items.add(new File([new Uint8Array(2000)], 'big.png', { type: 'image/png' }));
    dropped.items.add(new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' }));
    const form = el.shadowRoot!.querySelector('form')!;
    form.dispatchEvent(new DragEvent('dragover', { dataTransfer: dropped, bubbles: true, cancelable: true }));
    form.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
    await el.updateComplete;

    expect(chips(el).map((c) => c.querySelector('.chip-name')!.textContent)).to.deep.equal([
      'picked.png',
      'notes.txt',
      'dropped.png',
    ]);
    expect(chips(el).map((c) => c.dataset.state)).to.deep.equal(['queued', 'queued', 'queued'], 'not connected');
    expect(chips(el)[0]!.querySelector('img')!.src).to.match(/^blob:/, 'a local thumbnail');
    expect(chips(el)[1]!.querySelector('img')).to.equal(null, 'files show an icon');
    const error = el.shadowRoot!.querySelector('[part="attachment-error"]')!.textContent!;
    expect(error).to.contain('big.png is too large: files can be up to 1000 B.');
    expect(error).to.contain('x.svg cannot be attached: image/svg+xml is not accepted.');
    await nextFrame();
    expect(status(el).textContent).to.equal(error, 'the refusal is announced');
    expect(await axe(el)).to.deep.equal([]);

    // One more is past max-files.
    el.addFiles([png('fourth.png')]);
    await el.updateComplete;
    expect(chips(el)).to.have.length(3);
    expect(el.shadowRoot!.querySelector('[part="attachment-error"]')!.textContent).to.equal(
      'You can attach up to 3 files to one message.',
    );

    // Remove is a labelled button; the removal is announced.
    const remove = chips(el)[1]!.querySelector<HTMLButtonElement>('[part="attachment-remove"]')!;
    expect(remove.getAttribute('aria-label')).to.equal('Remove notes.txt');
    remove.click();
    await el.updateComplete;
    await nextFrame();
    expect(chips(el)).to.have.length(2);
    expect(status(el).textContent).to.equal('notes.txt removed.');

    // Files alone can be sent; the message carries them (kept for upload: the client is not connected).
    const send = el.shadowRoot!.querySelector<HTMLButtonElement>('[part="send-button"]')!;
    expect(send.disabled).to.equal(false);
    let detail: { attachments?: unknown[] } | undefined;
    el.addEventListener('llc-send', (e) => (detail = e.detail));
    send.click();
    await el.updateComplete;
    expect(detail?.attachments).to.have.length(2);
    expect(chips(el)).to.have.length(0);
    const sent = client.snapshot('c_attach').messages.at(-1)!;
    expect(sent.attachments?.map((a) => [a.name, a.pending])).to.deep.equal([
      ['picked.png', true],
      ['dropped.png', true],
    ]);
    client.close();
  });

  it('the transcript shows an image as a thumbnail and a file as a chip (axe-clean)', async () => {
    const message: Pick<ClientMessage, 'attachments'> = {
      attachments: [
        {
          id: 'up_1',
          name: 'cat.png',
          mediaType: 'image/png',
          size: 70,
          url: URL.createObjectURL(new Blob([PNG], { type: 'image/png' })),
        },
        { id: 'up_2', name: 'report.pdf', mediaType: 'application/pdf', size: 123_456, url: '/uploads/up_2' },
        { id: 'up_3', name: 'evil.png', mediaType: 'image/png', size: 1, url: 'javascript:alert(1)' },
      ],
    };
    const el = await fixture<LlcMessage>(
      html`<llc-message role-name="user" text="Look" .attachments=${message.attachments}></llc-message>`,
    );
    const items = [...el.shadowRoot!.querySelectorAll('[part="attachment"]')];
    expect(items).to.have.length(3);
    const img = items[0]!.querySelector('img')!;
    expect(img.alt).to.equal('cat.png');
    expect(items[1]!.querySelector('a')!.getAttribute('href')).to.equal('/uploads/up_2');
    expect(items[1]!.textContent).to.contain('report.pdf').and.contain('121 KB');
    expect(items[2]!.querySelector('a, img')).to.equal(null, 'an unsafe URL is neither loaded nor linked');
    expect(await axe(el)).to.deep.equal([]);
  });
});
