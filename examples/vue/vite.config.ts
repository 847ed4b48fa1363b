import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  // Tags starting with llc- are custom elements: Vue renders them as elements instead of resolving components.
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('llc-') } } })],
});
