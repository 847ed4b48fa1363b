import { mount } from 'svelte';
// Defines <llc-chat> and its parts (before the app mounts, so Svelte sets their properties, not attributes).
import '@locallightchat/elements';
// Types them in Svelte markup (svelte/elements' SvelteHTMLElements, generated from the custom-elements manifest).
import type {} from '@locallightchat/elements/svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
