/**
 * What `<llc-message-list>` shows of a conversation: its messages without the `tool` ones (a tool's result shows
 * inside the call that asked for it), and the outcome of each call. Derived once per messages array (the
 * client's snapshot or the app's `messages`), not in every render of a streaming answer.
 */
import type { ClientMessage } from '@locallightchat/client';
import type { ToolCallOutcome } from '../renderers.js';

type Outcomes = ReadonlyMap<string, ToolCallOutcome>;

export class ShownMessages {
  #from?: readonly ClientMessage[];
  #shown: readonly ClientMessage[] = [];
  /** The results stored in the conversation, by call id. */
  #stored = new Map<string, ToolCallOutcome>();
  /** The last merge of the app's states with the stored results, and what it was made from. */
  #merged?: [appStates: Outcomes | undefined, stored: Outcomes, merged: Outcomes];

  /** The messages shown of `all`; the same array as long as `all` is. */
  of(all: readonly ClientMessage[]): readonly ClientMessage[] {
    if (all === this.#from) return this.#shown;
    this.#from = all;
    const results = new Map<string, ToolCallOutcome>();
    for (const m of all)
      for (const r of m.toolResults ?? [])
        results.set(r.toolCallId, { status: r.isError ? 'error' : 'done', result: r.content });
    this.#shown = results.size > 0 || all.some((m) => m.role === 'tool') ? all.filter((m) => m.role !== 'tool') : all;
    this.#stored = results;
    return this.#shown;
  }

  /** What the calls show: the app's `toolStates`, with the results stored in the conversation winning. */
  outcomes(appStates: Outcomes | undefined): Outcomes | undefined {
    if (this.#stored.size === 0) return appStates;
    const cached = this.#merged;
    if (cached && cached[0] === appStates && cached[1] === this.#stored) return cached[2];
    const merged = new Map([...(appStates ?? []), ...this.#stored]);
    this.#merged = [appStates, this.#stored, merged];
    return merged;
  }
}
