/**
 * What the client's browser tests share: the relay they talk to (the embedded stack served at /__llc/stack by
 * web-test-runner.config.mjs), and waits on a client's state that fail with what the client held.
 */
import type { ConversationSnapshot, LlcClient } from '@locallightchat/client';

export interface TestStack {
  wsUrl: string;
  httpUrl: string;
}

let stack: Promise<TestStack> | undefined;

/** The relay of the test run (started once for all browser tests). */
export function testStack(): Promise<TestStack> {
  stack ??= fetch('/__llc/stack').then((response) => response.json() as Promise<TestStack>);
  return stack;
}

/** The dev-token endpoint of the test relay, posting `user`. */
export function devTokenUrl(s: TestStack): string {
  return `${s.httpUrl}/auth/dev-token`;
}

/**
 * Resolves with the conversation's snapshot once `predicate` holds (checked now and on every change); rejects
 * after `timeoutMs` with the messages held then.
 */
export function until(
  c: LlcClient,
  conversationId: string,
  predicate: (s: ConversationSnapshot) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<ConversationSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.removeEventListener('conversation', check);
      const held = c.snapshot(conversationId).messages.map((m) => [m.role, m.status, m.text.slice(0, 20)]);
      reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(held)}`));
    }, timeoutMs);
    function check(): void {
      const s = c.snapshot(conversationId);
      if (!predicate(s)) return;
      clearTimeout(timer);
      c.removeEventListener('conversation', check);
      resolve(s);
    }
    c.addEventListener('conversation', check);
    check();
  });
}

/** Resolves once the client's connection is open. */
export function opened(c: LlcClient): Promise<void> {
  if (c.connectionStatus === 'open') return Promise.resolve();
  return new Promise((resolve) => {
    const on = () => {
      if (c.connectionStatus !== 'open') return;
      c.removeEventListener('status', on);
      resolve();
    };
    c.addEventListener('status', on);
  });
}

/** An answer is done and nothing is running or waiting. */
export const answered = (s: ConversationSnapshot): boolean =>
  s.messages.some((m) => m.role === 'assistant' && m.status === 'done') && !s.busy;

/** Polls `fn` every 100 ms until it gives a value (at most 15 s). */
export async function waitFor<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
