import { createApp, defineComponent, h, ref } from 'vue';
import '@locallightchat/elements';
import type { LlcElementEventMap } from '@locallightchat/elements';

/**
 * A render function: what a compiled single-file-component template becomes. (Vue's in-browser template compiler
 * evaluates strings as code, which a strict Content-Security-Policy — the relay's static server sends one —
 * forbids.) In an SFC: `<llc-chat dev token-url="/auth/dev-token" @llc-send="onSend" />`, with
 * `compilerOptions.isCustomElement = (tag) => tag.startsWith('llc-')` in the Vue plugin's options.
 */
const App = defineComponent(() => {
  const sent = ref(0);
  // The element's events are typed through the elements' LlcElementEventMap.
  const onSend = (event: LlcElementEventMap['llc-send']) => {
    if (event.detail.text.length > 0) sent.value += 1;
  };
  return () =>
    h('main', { style: 'font-family: system-ui, sans-serif' }, [
      h('p', { 'data-testid': 'sent-count' }, `Sent: ${sent.value}`),
      // `dev` + the relay's dev token endpoint (llc-relay --dev); in production your endpoint (docs/auth.md).
      h('llc-chat', {
        dev: true,
        tokenUrl: '/auth/dev-token',
        style: 'display: block; height: 85vh',
        onLlcSend: onSend,
      }),
    ]);
});

createApp(App).mount('#app');
