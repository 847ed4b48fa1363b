/**
 * @locallightchat/react — React components for the LocalLightChat elements, made with `@lit/react`'s
 * `createComponent`: typed props (every property of the element, e.g. `relayUrl`, `tokenUrl`, `getToken`,
 * `renderers`, `strings`) and typed event props (`onSend`, `onStop`, …, each receiving the element's
 * `CustomEvent` with its typed `detail`). Importing this module defines the custom elements too. Server rendering
 * (Next.js) is not covered yet.
 */
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import {
  LlcChat as LlcChatElement,
  LlcProvider as LlcProviderElement,
  type LlcElementEventMap,
} from '@locallightchat/elements';

/** An event name typed with the event the elements fire under it. */
const event = <K extends keyof LlcElementEventMap>(name: K) => name as EventName<LlcElementEventMap[K]>;

/** The events of `<llc-chat>` (fired by it or by its parts; all bubble) as React props. */
const chatEvents = {
  onSend: event('llc-send'),
  onStop: event('llc-stop'),
  onMessageAction: event('llc-message-action'),
  onToolDecision: event('llc-tool-decision'),
  onAnnounce: event('llc-announce'),
} as const;

/**
 * `<llc-chat>` as a React component.
 *
 * ```tsx
 * <LlcChat relayUrl="wss://chat.example.com/ws" tokenUrl="/api/llc-token" onSend={(e) => console.log(e.detail.text)} />
 * ```
 */
export const LlcChat = createComponent({
  tagName: 'llc-chat',
  elementClass: LlcChatElement,
  react: React,
  events: chatEvents,
  displayName: 'LlcChat',
});

/** `<llc-provider>` (one client for a layout of your own made of the parts) as a React component. */
export const LlcProvider = createComponent({
  tagName: 'llc-provider',
  elementClass: LlcProviderElement,
  react: React,
  events: chatEvents,
  displayName: 'LlcProvider',
});

export type LlcChatProps = React.ComponentProps<typeof LlcChat>;
export type LlcProviderProps = React.ComponentProps<typeof LlcProvider>;
export type {
  LlcElementEventMap,
  MessageActionEventDetail,
  SendEventDetail,
  StopEventDetail,
  ToolDecisionEventDetail,
} from '@locallightchat/elements';
