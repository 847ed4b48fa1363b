/**
 * Conversation frames: send, subscribe/unsubscribe, resume, stop, history.
 *
 * Accepting a message is a sequence of idempotent steps keyed by ids derived from (user, clientMessageId):
 * store the user message → hand the request to the broker → mark it handed over → acknowledge. A retry at any
 * point (outbox retry, relay crash, another node) repeats only what had not happened yet.
 */
import { BrokerUnavailableError, type GenerationRequest, type PromptMessage } from '@locallightchat/broker';
import type {
  ChatMessage,
  HistoryFrame,
  ResumeFrame,
  SendFrame,
  StopFrame,
  SubscribeFrame,
  UnsubscribeFrame,
} from '@locallightchat/protocol';
import { tokenAllows } from '../auth/authenticator.js';
import { idsForSend } from '../conversations/ids.js';
import { estimatePromptTokens } from '../limits/token-bucket.js';
import type { Connection } from './connection.js';
import { rememberSessionSoon } from './session-memory.js';

/** Messages in a history page when the client names no `limit`. */
const DEFAULT_HISTORY_LIMIT = 50;

/** Checks the token's conversation limits and ownership; sends `forbidden` and returns false when refused. */
async function authorize(conn: Connection, conversationId: string): Promise<boolean> {
  const principal = conn.principal!;
  if (!tokenAllows(principal, conversationId)) {
    conn.error('forbidden', 'this token does not allow that conversation', conversationId);
    return false;
  }
  const owner = await conn.ctx.store.claimConversation(conversationId, principal.userId);
  if (owner !== principal.userId) {
    conn.error('forbidden', 'that conversation belongs to another user', conversationId);
    return false;
  }
  return true;
}

/** Joins the hub once per conversation per connection. */
export async function join(conn: Connection, conversationId: string): Promise<void> {
  if (conn.conversations.has(conversationId)) return;
  conn.conversations.add(conversationId);
  rememberSessionSoon(conn);
  await conn.ctx.hub.join(conversationId, conn);
}

export async function handleSend(conn: Connection, frame: SendFrame): Promise<void> {
  const { ctx } = conn;
  const { config } = ctx;
  const ref = frame.clientMessageId;
  if (ctx.draining)
    return conn.error('broker-unavailable', 'this relay is draining; reconnect and send again', ref, 1000);
  if (frame.text.length > config.maxTextChars) {
    return conn.error('message-too-long', `messages are limited to ${config.maxTextChars} characters`, ref);
  }
  if (frame.text.trim().length === 0) return conn.error('bad-frame', 'the message is empty', ref);
  if (!(await authorize(conn, frame.conversationId))) return;

  const userId = conn.userId!;
  const { messageId, streamId } = idsForSend(userId, frame.clientMessageId);
  if (frame.replaceFrom !== undefined && frame.replaceFrom !== messageId) {
    await ctx.store.truncateFrom(frame.conversationId, frame.replaceFrom);
  }
  const message: ChatMessage = {
    id: messageId,
    role: 'user',
    text: frame.text,
    createdAt: Date.now(),
    clientMessageId: frame.clientMessageId,
  };
  const { inserted, submitted } = await ctx.store.appendMessage(frame.conversationId, message);

  // Follow the answer before it can start, so the socket sees the stream from its first frame. A retried
  // message's stream may be running or over: the client resumes it (from its ack) instead.
  await join(conn, frame.conversationId);
  if (inserted) conn.attach(streamId, 0);

  if (!submitted) {
    const request = await buildRequest(conn, frame, messageId, streamId);
    const reserved = await reserveBudget(conn, request, ref);
    if (reserved === undefined) return;
    try {
      await ctx.broker.submit(request);
    } catch (error) {
      const unavailable = error instanceof BrokerUnavailableError || ctx.broker.status !== 'connected';
      ctx.log.warn(`could not submit ${frame.clientMessageId}`, error);
      refundNow(conn, reserved);
      // Nothing is lost: the message is stored unsubmitted, and the client's retry submits it.
      return conn.error(
        unavailable ? 'broker-unavailable' : 'internal',
        'the message could not be queued; it will be retried',
        ref,
        2000,
      );
    }
    if (reserved > 0 && ctx.config.tokenBudget)
      ctx.hub.reservations.track(streamId, userId, reserved, ctx.config.tokenBudget);
    await ctx.store.markSubmitted(frame.conversationId, messageId);
    ctx.metrics.messagesAccepted.inc();
  }
  if (inserted) {
    // Other tabs of this user (on any node) see the new message; the sender recognises its own by clientMessageId.
    await ctx.broker
      .publish(frame.conversationId, { type: 'message', conversationId: frame.conversationId, message })
      .catch((error) => {
        ctx.log.warn(`could not publish the echo of ${messageId}`, error);
      });
  }
  conn.send({
    type: 'ack',
    clientMessageId: frame.clientMessageId,
    conversationId: frame.conversationId,
    messageId,
    streamId,
    duplicate: !inserted,
  });
}

/**
 * Reserves prompt + max_tokens from the user's budget. Returns the amount reserved (0 when unmetered), or
 * undefined after telling the client why not. The message stays stored, so a retry after `retryAfterMs` sends it.
 */
async function reserveBudget(conn: Connection, request: GenerationRequest, ref: string): Promise<number | undefined> {
  const { config, store, log, metrics } = conn.ctx;
  const policy = config.tokenBudget;
  if (!policy || policy.capacity <= 0) return 0;
  const promptChars = request.messages.reduce((n, m) => n + m.content.length, 0);
  const amount = estimatePromptTokens(promptChars) + request.maxTokens;
  let result;
  try {
    result = await store.reserveTokens(conn.userId!, amount, policy);
  } catch (error) {
    if (config.tokenBudgetFailOpen) {
      metrics.budgetUnmetered.inc();
      log.warn('token budget unavailable; letting the message through unmetered (tokenBudgetFailOpen)', error);
      return 0;
    }
    conn.error('rate-limited', 'the token budget cannot be checked right now; retrying shortly', ref, 2000);
    return undefined;
  }
  if (result.ok) return amount;
  metrics.budgetRefusals.inc();
  if (result.retryAfterMs === undefined) {
    conn.error(
      'rate-limited',
      `this request needs ~${amount} tokens but the budget holds at most ${policy.capacity}: lower maxTokens or shorten the conversation`,
      ref,
    );
  } else {
    conn.error(
      'rate-limited',
      `token budget exhausted (${result.remaining} of ~${amount} needed); retry in ${Math.ceil(result.retryAfterMs / 1000)} s`,
      ref,
      result.retryAfterMs,
    );
  }
  return undefined;
}

function refundNow(conn: Connection, amount: number): void {
  const policy = conn.ctx.config.tokenBudget;
  if (amount <= 0 || !policy) return;
  conn.ctx.store
    .refundTokens(conn.userId!, amount, policy)
    .catch((error: unknown) => conn.ctx.log.warn('could not refund a reservation', error));
}

/** The prompt: optional system prompt, then recent history (oldest dropped first to fit the budget). */
async function buildRequest(
  conn: Connection,
  frame: SendFrame,
  messageId: string,
  streamId: string,
): Promise<GenerationRequest> {
  const { config, store } = conn.ctx;
  const page = await store.listMessages(frame.conversationId, { limit: config.promptHistoryMessages });
  const history: PromptMessage[] = [];
  let budget = config.maxPromptChars - (config.systemPrompt?.length ?? 0);
  // Walk newest → oldest; the message just stored is the newest and always fits (it is within maxTextChars).
  for (let i = page.messages.length - 1; i >= 0; i--) {
    const m = page.messages[i]!;
    if (m.text.length > budget && history.length > 0) break;
    budget -= m.text.length;
    history.unshift({ role: m.role, content: m.text });
  }
  if (history.length === 0 || page.messages.at(-1)?.id !== messageId)
    history.push({ role: 'user', content: frame.text });
  const messages: PromptMessage[] = config.systemPrompt
    ? [{ role: 'system', content: config.systemPrompt }, ...history]
    : history;
  const request: GenerationRequest = {
    // The message id (derived from user + clientMessageId) rather than the raw client id: one user cannot
    // occupy another user's dedup slot by guessing their client ids.
    requestId: messageId,
    streamId,
    conversationId: frame.conversationId,
    userId: conn.userId!,
    replyTo: messageId,
    messages,
    maxTokens: Math.min(frame.maxTokens ?? config.defaultMaxTokens, config.maxMaxTokens),
    priority: 0,
    createdAt: Date.now(),
  };
  const model = frame.model ?? config.defaultModel;
  if (model !== undefined) request.model = model;
  if (frame.temperature !== undefined) request.temperature = frame.temperature;
  return request;
}

export async function handleSubscribe(conn: Connection, frame: SubscribeFrame): Promise<void> {
  if (!(await authorize(conn, frame.conversationId))) return;
  await join(conn, frame.conversationId);
  conn.send({
    type: 'subscribed',
    conversationId: frame.conversationId,
    streams: conn.ctx.hub.streamStates(frame.conversationId),
  });
}

export function handleUnsubscribe(conn: Connection, frame: UnsubscribeFrame): void {
  if (!conn.conversations.delete(frame.conversationId)) return;
  rememberSessionSoon(conn);
  conn.ctx.hub.leave(frame.conversationId, conn);
}

export async function handleResume(conn: Connection, frame: ResumeFrame): Promise<void> {
  if (!(await authorize(conn, frame.conversationId))) return;
  await join(conn, frame.conversationId);
  conn.ctx.metrics.reconnects.inc();
  let source = 'none';
  const count = await conn.replay(frame.streamId, frame.fromSeq, async () => {
    const result = await conn.ctx.hub.resume(frame.conversationId, frame.streamId, frame.fromSeq);
    source = result.source;
    return result.events;
  });
  if (count === 0 && source === 'none') {
    conn.error(
      'resume-unavailable',
      'that stream is no longer retained; load the conversation history instead',
      frame.streamId,
    );
  }
}

export async function handleStop(conn: Connection, frame: StopFrame): Promise<void> {
  if (!(await authorize(conn, frame.conversationId))) return;
  try {
    await conn.ctx.broker.cancel(frame.streamId);
  } catch (error) {
    conn.ctx.log.warn(`could not cancel ${frame.streamId}`, error);
    conn.error('broker-unavailable', 'the stop could not be delivered; try again', frame.streamId, 1000);
  }
}

export async function handleHistory(conn: Connection, frame: HistoryFrame): Promise<void> {
  if (!(await authorize(conn, frame.conversationId))) return;
  const page = await conn.ctx.store.listMessages(frame.conversationId, {
    before: frame.before,
    limit: frame.limit ?? DEFAULT_HISTORY_LIMIT,
  });
  // A page must fit well inside the socket's send bound (else one history request would close a healthy socket
  // as a slow consumer): drop the oldest messages beyond a quarter of it; the cursor lets the client page on.
  let budget = conn.ctx.config.sendHardLimitBytes / 4;
  let keepFrom = page.messages.length;
  while (keepFrom > 0) {
    const m = page.messages[keepFrom - 1]!;
    const size = 256 + (m.text.length + (m.reasoning?.length ?? 0)) * 3;
    if (size > budget && keepFrom < page.messages.length) break;
    budget -= size;
    keepFrom--;
  }
  const messages = page.messages.slice(keepFrom);
  const cursor = keepFrom > 0 ? messages[0]!.id : page.cursor;
  conn.send({ type: 'history-page', conversationId: frame.conversationId, messages, ...(cursor ? { cursor } : {}) });
}
