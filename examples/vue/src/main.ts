import { createApp } from 'vue';
// Defines <llc-chat> and its parts.
import '@locallightchat/elements';
// Types them in templates (Vue's GlobalComponents, generated from the elements' custom-elements manifest).
import type {} from '@locallightchat/elements/vue';
import App from './App.vue';

createApp(App).mount('#app');
