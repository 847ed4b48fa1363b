/**
 * The built-in message actions and the `actions` attribute that chooses them (`<llc-chat actions="copy
 * feedback">`; all by default, `actions="none"` for none).
 */

/** A built-in action: Copy (markdown or plain text), Regenerate (answers), Edit (your messages), Feedback (answers). */
export type MessageActionName = 'copy' | 'regenerate' | 'edit' | 'feedback';

/** Every built-in action, in toolbar order: the default. */
export const ALL_MESSAGE_ACTIONS: readonly MessageActionName[] = ['copy', 'regenerate', 'edit', 'feedback'];

/**
 * Reads an `actions` attribute: names separated by spaces or commas (unknown ones ignored); `none` or an empty
 * value turns them all off; no attribute means all.
 */
export function parseActions(value: string | null | undefined): readonly MessageActionName[] {
  if (value === null || value === undefined) return ALL_MESSAGE_ACTIONS;
  const names = new Set(value.split(/[\s,]+/).filter(Boolean));
  return ALL_MESSAGE_ACTIONS.filter((name) => names.has(name));
}

/** A Lit attribute converter for `actions` properties (an array of names, written back space-separated). */
export const actionsConverter = {
  fromAttribute: (value: string | null) => parseActions(value),
  toAttribute: (value: readonly MessageActionName[]) => value.join(' '),
};
