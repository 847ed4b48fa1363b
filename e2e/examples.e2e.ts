/**
 * The example apps under examples/, each built from the packed tarballs (test-support/src/packed.ts: `npm pack`
 * of every publishable package, installed into a fresh project outside the repository) and served by the
 * `llc-relay` bin of the installed stack package (`--dev --simulate`: the embedded stack with the vLLM
 * simulator), then driven in Debian's Chromium: type a message, see the answer stream in (e2e/support/examples.ts).
 * Each test reports how long its install, type check and build took (test diagnostics).
 */
import assert from 'node:assert/strict';
import { cpSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  assertStreamedAnswer,
  errorLines,
  ExamplesHarness,
  repoRoot,
  run,
  type ChatResult,
} from './support/examples.js';
import { freePort } from '@locallightchat/test-support';

const harness = new ExamplesHarness();
const question = 'Explain streaming in three sentences.';
/** Framework installs and builds on a loaded 2-core machine take minutes, beyond the default test timeout. */
const slow = { timeout: 900_000 };

before(() => harness.start());
after(() => harness.stop());

/** Times `step` and reports it as a diagnostic of the test. */
async function timed<T>(t: TestContext, name: string, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await step();
  t.diagnostic(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Chats on `url` and checks the app's own `llc-send` handler counted the message. */
function chatCountingSends(url: string): Promise<ChatResult> {
  return harness.chat(url, question, async (page) => {
    assert.equal(await page.getByTestId('sent-count').textContent(), 'Sent: 1', 'the llc-send handler ran once');
  });
}

describe('examples/html: one script tag from the packed bundle, workers beside it', () => {
  it('chats, the answer streaming in', async () => {
    const site = join(harness.scratch, 'html');
    cpSync(join(repoRoot, 'examples/html'), site, { recursive: true });
    // As the example's README says: everything in dist-bundle/ beside the page.
    cpSync(harness.bundleDir(), site, { recursive: true });
    const url = await harness.relay(site);
    assertStreamedAnswer(await harness.chat(`${url}/`, question));
  });
});

describe('examples/react: <LlcChat> from @locallightchat/react (packed), typed props and events', () => {
  it(
    'type-checks (and a wrong prop or event use does not), builds, chats with the answer streaming in, onSend fires',
    slow,
    async (t) => {
      const app = await timed(t, 'install', () => harness.install('react'));
      assert.deepEqual(await harness.typeErrors(app), [], 'the example type-checks');
      // The typings have teeth: a number for a string prop and a detail field that does not exist are errors.
      writeFileSync(
        join(app, 'src/wrong.tsx'),
        [
          "import { LlcChat } from '@locallightchat/react';",
          'export const a = <LlcChat tokenUrl={42} />;',
          'export const b = <LlcChat onSend={(e) => e.detail.nope} />;',
          '',
        ].join('\n'),
      );
      const wrong = await harness.typeErrors(app);
      unlinkSync(join(app, 'src/wrong.tsx'));
      assert.deepEqual(errorLines(wrong, 'src/wrong.tsx'), [2, 3], wrong.join('\n'));
      assert.match(
        wrong.find((e) => e.startsWith('src/wrong.tsx:3:'))!,
        /'nope'/,
      );

      await timed(t, 'build', () => run('npm', ['run', 'build', '--silent'], app));
      const url = await harness.relay(join(app, 'public'));
      const result = await harness.chat(`${url}/`, question, async (page) => {
        assert.equal(await page.getByTestId('sent-count').textContent(), 'Sent: 1', 'onSend fired once');
      });
      assertStreamedAnswer(result);
    },
  );
});

describe('examples/vue: a Vue 3 SFC app (Vite), templates typed by @locallightchat/elements/vue', () => {
  it(
    'vue-tsc passes (and fails on wrong attribute/event types), builds, chats, the @llc-send handler fires',
    slow,
    async (t) => {
      const app = await timed(t, 'install', () => harness.install('vue'));
      assert.deepEqual(await timed(t, 'vue-tsc', () => harness.typeErrors(app)), [], 'the example type-checks');
      assert.deepEqual(await harness.declarationErrors(app, 'vue'), [], 'the generated Vue typings type-check');
      // Each line one mistake: a number for a string, a string for a boolean, a value outside the union, a detail
      // field that does not exist.
      writeFileSync(
        join(app, 'src/Wrong.vue'),
        [
          '<template>',
          '  <llc-chat :token-url="42" />',
          '  <llc-chat :sidebar="\'yes\'" />',
          '  <llc-chat theme="blue" />',
          '  <llc-chat @llc-send="(e) => e.detail.nope" />',
          '</template>',
          '',
        ].join('\n'),
      );
      const wrong = await harness.typeErrors(app);
      unlinkSync(join(app, 'src/Wrong.vue'));
      assert.deepEqual(errorLines(wrong, 'src/Wrong.vue'), [2, 3, 4, 5], wrong.join('\n'));

      await timed(t, 'build', () => run('npm', ['run', 'build', '--silent'], app));
      assertStreamedAnswer(await chatCountingSends(`${await harness.relay(join(app, 'dist'))}/`));
    },
  );
});

describe('examples/svelte: a Svelte 5 app (Vite), markup typed by @locallightchat/elements/svelte', () => {
  it(
    'svelte-check passes (and fails on wrong attribute/event types), builds, chats, the onllc-send handler fires',
    slow,
    async (t) => {
      const app = await timed(t, 'install', () => harness.install('svelte'));
      assert.deepEqual(await timed(t, 'svelte-check', () => harness.typeErrors(app)), [], 'the example type-checks');
      assert.deepEqual(await harness.declarationErrors(app, 'svelte'), [], 'the generated Svelte typings type-check');
      writeFileSync(
        join(app, 'src/Wrong.svelte'),
        [
          // svelte-check reports type errors in the markup of TypeScript components only.
          '<script lang="ts"></script>',
          '<llc-chat token-url={42}></llc-chat>',
          '<llc-chat sidebar="yes"></llc-chat>',
          '<llc-chat theme="blue"></llc-chat>',
          '<llc-chat onllc-send={(e) => e.detail.nope}></llc-chat>',
          '',
        ].join('\n'),
      );
      const wrong = await harness.typeErrors(app);
      unlinkSync(join(app, 'src/Wrong.svelte'));
      assert.deepEqual(errorLines(wrong, 'src/Wrong.svelte'), [2, 3, 4, 5], wrong.join('\n'));

      await timed(t, 'build', () => run('npm', ['run', 'build', '--silent'], app));
      assertStreamedAnswer(await chatCountingSends(`${await harness.relay(join(app, 'dist'))}/`));
    },
  );
});

describe('examples/angular: <llc-chat> in an Angular template (CUSTOM_ELEMENTS_SCHEMA), built by the Angular CLI', () => {
  it(
    'type-checks (strict templates; a wrong (llc-send) use does not), builds, chats, the handler fires',
    slow,
    async (t) => {
      const app = await timed(t, 'install', () => harness.install('angular'));
      assert.deepEqual(await timed(t, 'typecheck', () => harness.typeErrors(app)), [], 'the example type-checks');
      // $event of (llc-send) is the elements' typed event (HTMLElementEventMap): a handler taking something else
      // and a detail field that does not exist are errors. (Angular does not type-check property bindings on DOM
      // or custom elements, [dev]="'yes'" included: only events have teeth here.)
      writeFileSync(
        join(app, 'src/app/wrong.ts'),
        [
          "import { Component, CUSTOM_ELEMENTS_SCHEMA } from '@angular/core';",
          '@Component({',
          "  selector: 'app-wrong',",
          '  schemas: [CUSTOM_ELEMENTS_SCHEMA],',
          '  template: `',
          '    <llc-chat (llc-send)="count($event)"></llc-chat>',
          '    <llc-chat (llc-send)="$event.detail.nope"></llc-chat>',
          '  `,',
          '})',
          'export class Wrong {',
          '  count(_n: number): void {}',
          '}',
          '',
        ].join('\n'),
      );
      const wrong = await timed(t, 'typecheck (wrong)', () => harness.typeErrors(app));
      unlinkSync(join(app, 'src/app/wrong.ts'));
      assert.deepEqual(errorLines(wrong, 'src/app/wrong.ts'), [6, 7], wrong.join('\n'));
      assert.match(
        wrong.find((e) => e.startsWith('src/app/wrong.ts:7:'))!,
        /'nope'/,
      );
      await timed(t, 'build', () => run('npm', ['run', 'build', '--silent'], app));
      assertStreamedAnswer(await chatCountingSends(`${await harness.relay(join(app, 'dist/browser'))}/`));
    },
  );
});

describe('examples/next: a server-rendered Next.js page (App Router), the elements imported on the client only', () => {
  it(
    'builds (typed JSX), renders <llc-chat> on the server, hydrates without errors or warnings, chats',
    slow,
    async (t) => {
      const app = await timed(t, 'install', () => harness.install('next'));
      await timed(t, 'build', () => run('npm', ['run', 'build', '--silent'], app));
      const relay = await harness.relay();
      const port = await freePort();
      await harness.startProcess(
        join(app, 'node_modules/.bin/next'),
        ['start', '--port', String(port), '--hostname', '127.0.0.1'],
        app,
        /Ready in/,
        { LLC_RELAY: relay },
      );
      const url = `http://127.0.0.1:${port}/`;
      // Server-rendered: the page's HTML already has the element, with its attributes, before any script runs.
      const html = await (await fetch(url)).text();
      assert.match(html, /<llc-chat relay-url="ws:\/\/127\.0\.0\.1:\d+\/ws" token-url="\/api\/llc-token"/);
      const result = await chatCountingSends(url);
      assertStreamedAnswer(result);
      assert.deepEqual(
        result.console.filter((line) => line.startsWith('error:') || /hydrat/i.test(line)),
        [],
        'no console errors, no hydration warnings',
      );
    },
  );
});
