/**
 * The conversation list's search by title: the loaded rows are filtered at once (instant, but only what is
 * loaded), and after a pause in typing the relay is asked (`listConversations({ query })`), which searches all of
 * the user's conversations. Answers to older queries are dropped.
 */
import type { LlcClient } from '@locallightchat/client';
import type { ConversationSummary } from '@locallightchat/protocol';

/** Pause in typing before the relay is asked, ms. */
export const SEARCH_DEBOUNCE_MS = 250;

/** Whether a title contains the query, ignoring case (the relay's rule, see relay/src/store/conversation-search.ts). */
export function titleMatches(title: string | undefined, query: string): boolean {
  const needle = query.trim().toLowerCase();
  return !needle || (title !== undefined && title.toLowerCase().includes(needle));
}

export interface SearchResult {
  /** The trimmed query these rows answer. */
  query: string;
  rows: ConversationSummary[];
  cursor?: string;
}

export class TitleSearch {
  #timer?: ReturnType<typeof setTimeout>;
  #asked = 0;
  /** The relay's answer to the latest query, once it came. */
  result?: SearchResult;

  constructor(private readonly onResult: () => void) {}

  /** The search box changed: ask the relay after the pause (a blank query asks nothing). */
  input(client: LlcClient | undefined, query: string, pageSize: number): void {
    clearTimeout(this.#timer);
    const q = query.trim();
    const asked = ++this.#asked;
    if (!q || !client) {
      this.result = undefined;
      return;
    }
    this.#timer = setTimeout(() => {
      client
        .listConversations({ query: q, limit: pageSize })
        .then((page) => {
          if (asked !== this.#asked) return;
          this.result = { query: q, rows: page.conversations, ...(page.cursor ? { cursor: page.cursor } : {}) };
          this.onResult();
        })
        .catch(() => undefined); // offline or refused: the local filter stays
    }, SEARCH_DEBOUNCE_MS);
  }

  /** The next page of the current result. */
  async more(client: LlcClient, pageSize: number): Promise<void> {
    const current = this.result;
    if (!current?.cursor) return;
    const asked = this.#asked;
    const page = await client
      .listConversations({ query: current.query, before: current.cursor, limit: pageSize })
      .catch(() => undefined);
    if (!page || asked !== this.#asked) return;
    this.result = {
      query: current.query,
      rows: [...current.rows, ...page.conversations],
      ...(page.cursor ? { cursor: page.cursor } : {}),
    };
    this.onResult();
  }

  /** Applies a rename or delete seen on the library to the result. */
  update(change: (rows: ConversationSummary[]) => ConversationSummary[]): void {
    if (this.result) this.result = { ...this.result, rows: change(this.result.rows) };
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#asked++;
  }
}
