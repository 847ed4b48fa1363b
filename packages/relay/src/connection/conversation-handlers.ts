/**
 * Conversation frames: send, subscribe/unsubscribe, resume, stop, history (and the re-join of a restored
 * session's conversations).
 *
 * Accepting a message is a sequence of idempotent steps keyed by ids derived from (user, clientMessageId):
 * store the user message → hand the request to the broker → mark it handed over → acknowledge. A retry at any
 * point (outbox retry, relay crash, another node) repeats only what had not happened yet.
 */
import { BrokerUnavailableError, type GenerationRequest } from '@locallightchat/broker';
import {
  toolResultsProblem,
  type ChatMessage,
  type HistoryFrame,
  type ResumeFrame,
  type SendFrame,
  type StopFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
} from '@locallightchat/protocol';
import { tokenAllows } from '../auth/authenticator.js';
import type { RelayContext } from '../context.js';
import { generationRequest } from '../conversations/generation-request.js';
import { titleNewConversation } from '../conversations/titles.js';
import { idsForSend, userMessageIdOf } from '../conversations/ids.js';
import { contextBefore, placeOf, promptContext } from '../conversations/branches.js';
import { MAX_BRANCHES } from '@locallightchat/protocol';
import { estimatePromptTokens } from '../limits/token-bucket.js';
import { QuotaExceededError, type AppendResult } from '../store/store.js';
import type { Connection } from './connection.js';

/** Messages in a history page when the client names no `limit`. */
const DEFAULT_HISTORY_LIMIT = 50;

/**
 * How long a read waits for answers that ended unstored to be stored first (hub.storeEnded): a write takes
 * milliseconds; an answer rebuilt from a broker that lags, or a broker that does not answer, is left to finish
 * in the background rather than hold the read.
 */
const STORE_ENDED_WAIT_MS = 5000;

/** One per relay; each method answers one frame type for one connection. */
export class ConversationHandlers {
  constructor(private readonly ctx: RelayContext) {}

  async send(conn: Connection, frame: SendFrame): Promise<void> {
    const { ctx } = this;
    const { config } = ctx;
    const ref = frame.clientMessageId;
    const receivedAt = ctx.hub.answers.enabled ? Date.now() : 0;
    if (ctx.draining)
      return conn.error('broker-unavailable', 'this relay is draining; reconnect and send again', ref, 1000);
    if (frame.text.length > config.maxTextChars) {
      return conn.error('message-too-long', `messages are limited to ${config.maxTextChars} characters`, ref);
    }
    const results = frame.toolResults ?? [];
    const attachments = frame.attachments ?? [];
    if (frame.text.trim().length === 0 && results.length === 0 && attachments.length === 0)
      return conn.error('bad-frame', 'the message is empty', ref);
    if (results.length > 0 && (frame.text.length > 0 || attachments.length > 0))
      return conn.error('bad-frame', 'a message of tool results has no text or attachments', ref);
    if (!(await this.mayJoin(conn, frame.conversationId, false))) return;
    if ((await this.authorize(conn, frame.conversationId, 'claim')) !== 'own') return;
    if (attachments.length > 0) {
      const problem = await ctx.attachments.problem(conn.userId!, attachments);
      if (problem) return conn.error('forbidden', problem, ref);
    }

    const userId = conn.userId!;
    const ids = idsForSend(userId, frame.clientMessageId);
    const { messageId, streamId } = ids;
    const stored0 = await ctx.store.messagesTo(frame.conversationId, messageId, 1);
    // The message follows the previous answer, and the model reads it: store it first if it ended unstored.
    if (stored0.length === 0) await this.storeEnded(frame.conversationId);
    // Where the message goes in the conversation's tree (a retry is already placed).
    const place = stored0.length > 0 ? {} : await placeOf(ctx, frame, userId);
    if (place === 'unknown') return conn.error('not-found', 'the message to replace is not in this conversation', ref);
    if (place === 'full') return conn.error('quota-exceeded', `a message has at most ${MAX_BRANCHES} versions`, ref);
    // A message the budget refuses stores nothing (else refused messages would grow the store without bound):
    // the budget is taken first, unless this is a retry of a message already stored.
    let reserved: number | undefined;
    if (stored0.length === 0) {
      const context = await contextBefore(ctx, frame, place.parentId);
      // Results must answer the calls of the answer they follow: refused before anything is stored or submitted.
      const problem = toolResultsProblem(context, results);
      if (problem !== undefined) return conn.error('unknown-tool-call', problem, ref);
      reserved = await this.reserveBudget(conn, generationRequest(config, context, frame, ids, userId), ref);
      if (reserved === undefined) return;
    }
    const message: ChatMessage = {
      id: messageId,
      role: results.length > 0 ? 'tool' : 'user',
      text: frame.text,
      ...(results.length > 0 ? { toolResults: results } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
      createdAt: Date.now(),
      clientMessageId: frame.clientMessageId,
    };
    let stored: AppendResult;
    try {
      // An edit or a regenerate adds a branch: nothing is deleted (history is a tree, see the Store).
      stored = await ctx.store.appendMessage(frame.conversationId, message, { ...place, showBranch: true });
    } catch (error) {
      if (reserved !== undefined) this.refundNow(userId, reserved);
      if (error instanceof QuotaExceededError) return conn.error('quota-exceeded', error.message, ref);
      throw error;
    }
    const { inserted, submitted } = stored;
    // Its uploads are deleted with the conversation (also on a retry: the first try may have stopped here).
    if (attachments.length > 0)
      await ctx.attachments
        .used(userId, frame.conversationId, attachments)
        .catch((error: unknown) => ctx.log.warn('could not record the uploads of a message', error));

    // Follow the answer before it can start, so the socket sees the stream from its first frame. A retried
    // message's stream may be running or over: the client resumes it (from its ack) instead.
    await conn.join(frame.conversationId);
    if (inserted) conn.attach(streamId, 0);

    if (submitted && reserved !== undefined) this.refundNow(userId, reserved);
    // The echo names the message's place in the tree (a new version has siblings: other tabs show its branch).
    let echo = message;
    if (!submitted) {
      // The model reads this message's own branch (its ancestry), whichever branch is shown meanwhile.
      const context = await promptContext(ctx, frame, messageId);
      if (context.at(-1)?.id === messageId) echo = context.at(-1)!;
      // The first message of a conversation: title it (beside the answer, never in its way).
      if (inserted && context.length === 1 && frame.replaceFrom === undefined)
        void titleNewConversation(ctx, { conversationId: frame.conversationId, userId, firstMessage: frame.text });
      const request = generationRequest(config, context, frame, ids, userId);
      reserved ??= await this.reserveBudget(conn, request, ref);
      if (reserved === undefined) return;
      const traceContext = ctx.hub.answers.start({
        conversationId: frame.conversationId,
        streamId,
        requestId: request.requestId,
        ...(request.model !== undefined ? { model: request.model } : {}),
        startTime: receivedAt,
      });
      try {
        await ctx.broker.submit(request, traceContext ? { traceContext } : undefined);
      } catch (error) {
        ctx.hub.answers.failed(streamId, error);
        const unavailable = error instanceof BrokerUnavailableError || ctx.broker.status !== 'connected';
        ctx.log.warn(`could not submit ${frame.clientMessageId}`, error, {
          conversationId: frame.conversationId,
          clientMessageId: frame.clientMessageId,
        });
        this.refundNow(userId, reserved);
        // Nothing is lost: the message is stored unsubmitted, and the client's retry submits it.
        return conn.error(
          unavailable ? 'broker-unavailable' : 'internal',
          'the message could not be queued; it will be retried',
          ref,
          2000,
        );
      }
      if (reserved > 0 && config.tokenBudget)
        ctx.hub.reservations.track(streamId, userId, reserved, config.tokenBudget);
      await ctx.store.markSubmitted(frame.conversationId, messageId);
      ctx.metrics.messagesAccepted.inc();
    }
    if (inserted) {
      // Other tabs of this user (on any node) see the new message; the sender recognises its own by clientMessageId.
      await ctx.broker
        .publish(frame.conversationId, { type: 'message', conversationId: frame.conversationId, message: echo })
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

  async subscribe(conn: Connection, frame: SubscribeFrame): Promise<void> {
    const { conversationId } = frame;
    if (!(await this.mayJoin(conn, conversationId, true))) return;
    // A valid grant stands for the ownership read (auth/subscription-grant.ts); it earns no new grant, so the Store
    // is read again at least once per grant lifetime.
    const granted =
      frame.grant !== undefined &&
      tokenAllows(conn.principal!, conversationId) &&
      this.ctx.grants.verify(frame.grant, conn.userId!, conversationId);
    if (!granted && (await this.authorize(conn, conversationId, 'claim')) !== 'own') return;
    this.ctx.metrics.subscribes.labels(granted ? 'grant' : 'store').inc();
    await conn.join(conversationId);
    const grant = granted ? undefined : this.ctx.grants.issue(conn.userId!, conversationId);
    conn.send({
      type: 'subscribed',
      conversationId,
      streams: this.ctx.hub.streamStates(conversationId),
      ...(grant ? { grant } : {}),
    });
  }

  unsubscribe(conn: Connection, frame: UnsubscribeFrame): void {
    conn.leave(frame.conversationId);
  }

  async resume(conn: Connection, frame: ResumeFrame): Promise<void> {
    // A conversation this connection has joined passed the owner check when it joined and stays joined only while
    // it exists (a deletion through any node releases it: the hub's deletion announcement), so a resume in it
    // reads nothing from the Store. A relay's survivor takes every moved tab's subscribe then resume: 2 Store
    // reads per tab became 1 (bench/idle/run-resume-storm.mjs).
    const joined = conn.hasJoined(frame.conversationId) && tokenAllows(conn.principal!, frame.conversationId);
    const access = joined ? 'own' : await this.authorize(conn, frame.conversationId, 'read');
    if (access === undefined) return;
    if (access === 'unclaimed') {
      return conn.error('resume-unavailable', 'that conversation has no streams; load its history', frame.streamId);
    }
    await conn.join(frame.conversationId);
    this.ctx.metrics.reconnects.inc();
    let source = 'none';
    const count = await conn.replay(frame.streamId, frame.fromSeq, async () => {
      const result = await this.ctx.hub.resume(frame.conversationId, frame.streamId, frame.fromSeq);
      source = result.source;
      return result.events;
    });
    this.ctx.metrics.resumes.labels(source).inc();
    if (count === 0 && source === 'none') {
      conn.error(
        'resume-unavailable',
        'that stream is no longer retained; load the conversation history instead',
        frame.streamId,
      );
    }
  }

  async stop(conn: Connection, frame: StopFrame): Promise<void> {
    const access = await this.authorize(conn, frame.conversationId, 'read');
    if (access === undefined) return;
    // The stream must belong to this conversation (which the user owns), else naming one's own conversation
    // would stop anyone's stream.
    if (access === 'unclaimed' || !(await this.streamBelongsTo(frame.conversationId, frame.streamId))) {
      return conn.error('forbidden', 'that stream is not in this conversation', frame.streamId);
    }
    try {
      await this.ctx.broker.cancel(frame.streamId);
    } catch (error) {
      this.ctx.log.warn(`could not cancel ${frame.streamId}`, error, { streamId: frame.streamId });
      conn.error('broker-unavailable', 'the stop could not be delivered; try again', frame.streamId, 1000);
    }
  }

  async history(conn: Connection, frame: HistoryFrame): Promise<void> {
    const access = await this.authorize(conn, frame.conversationId, 'read');
    if (access === undefined) return;
    if (access === 'unclaimed')
      return conn.send({ type: 'history-page', conversationId: frame.conversationId, messages: [] });
    const list = () =>
      this.ctx.store.listMessages(frame.conversationId, {
        before: frame.before,
        limit: frame.limit ?? DEFAULT_HISTORY_LIMIT,
      });
    let page = await list();
    // The newest message is a question (or tool results): its answer may have ended while no relay that held
    // the conversation could store it. Stored first, the page shows it (older pages cannot lack it).
    const newest = page.messages.at(-1);
    if (frame.before === undefined && newest !== undefined && newest.role !== 'assistant') {
      await this.storeEnded(frame.conversationId);
      page = await list();
    }
    // A page must fit well inside the socket's send bound (else one history request would close a healthy
    // socket as a slow consumer): drop the oldest messages beyond a quarter of it; the cursor lets the client
    // page on.
    let budget = this.ctx.config.sendHardLimitBytes / 4;
    let keepFrom = page.messages.length;
    while (keepFrom > 0) {
      const m = page.messages[keepFrom - 1]!;
      const tools =
        (m.toolCalls ?? []).reduce((n, c) => n + 64 + c.name.length + c.arguments.length, 0) +
        (m.toolResults ?? []).reduce((n, r) => n + 64 + r.content.length, 0);
      const size = 256 + (m.text.length + (m.reasoning?.length ?? 0) + tools) * 3;
      if (size > budget && keepFrom < page.messages.length) break;
      budget -= size;
      keepFrom--;
    }
    const messages = page.messages.slice(keepFrom);
    const cursor = keepFrom > 0 ? messages[0]!.id : page.cursor;
    conn.send({ type: 'history-page', conversationId: frame.conversationId, messages, ...(cursor ? { cursor } : {}) });
  }

  /**
   * Re-joins conversations of a restored session that the user still owns, silently skipping the rest (the
   * client re-subscribes what it misses). Returns the ids joined.
   */
  async rejoin(conn: Connection, conversationIds: readonly string[]): Promise<string[]> {
    const userId = conn.userId!;
    const joined: string[] = [];
    for (const conversationId of conversationIds) {
      try {
        if ((await this.ctx.store.ownerOf(conversationId)) !== userId) continue;
        await conn.join(conversationId);
        joined.push(conversationId);
      } catch (error) {
        this.ctx.log.debug(
          `could not restore ${conversationId}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return joined;
  }

  /**
   * Checks the token's conversation limits and ownership: 'own' when the user owns the conversation (in
   * 'claim' mode a new one is claimed, within the user's quota), 'unclaimed' when no one does (in 'read' mode:
   * a read never claims, so reads cannot fill the store); else sends the refusal and returns undefined.
   */
  async authorize(
    conn: Connection,
    conversationId: string,
    mode: 'claim' | 'read',
  ): Promise<'own' | 'unclaimed' | undefined> {
    const principal = conn.principal!;
    if (!tokenAllows(principal, conversationId)) {
      conn.error('forbidden', 'this token does not allow that conversation', conversationId);
      return undefined;
    }
    let owner: string | undefined;
    try {
      owner =
        mode === 'claim'
          ? await this.ctx.store.claimConversation(conversationId, principal.userId)
          : await this.ctx.store.ownerOf(conversationId);
    } catch (error) {
      if (!(error instanceof QuotaExceededError)) throw error;
      conn.error('quota-exceeded', error.message, conversationId);
      return undefined;
    }
    if (owner === undefined) return 'unclaimed';
    if (owner !== principal.userId) {
      conn.error('forbidden', 'that conversation belongs to another user', conversationId);
      return undefined;
    }
    return 'own';
  }

  /**
   * Whether the connection may join one more conversation: at most `maxConversationsPerConnection` at once,
   * and (for `subscribe`) within the user's shared subscription rate; sends the refusal when not.
   */
  private async mayJoin(conn: Connection, conversationId: string, metered: boolean): Promise<boolean> {
    if (conn.hasJoined(conversationId)) return true;
    const max = this.ctx.config.maxConversationsPerConnection;
    if (conn.joinedCount >= max) {
      conn.error(
        'rate-limited',
        `a connection may follow at most ${max} conversations; unsubscribe first`,
        conversationId,
      );
      return false;
    }
    const refused = metered ? await this.ctx.limits.subscribe(conn.userId!) : undefined;
    if (refused) {
      conn.error('rate-limited', 'too many subscriptions; slow down', conversationId, refused.retryAfterMs);
      return false;
    }
    return true;
  }

  /** Stores the conversation's answers that ended unstored (hub.storeEnded), waiting at most STORE_ENDED_WAIT_MS. */
  private async storeEnded(conversationId: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, STORE_ENDED_WAIT_MS)));
    try {
      await Promise.race([this.ctx.hub.storeEnded(conversationId), waited]);
    } catch (error) {
      this.ctx.log.warn(`could not store the ended answers of ${conversationId}`, error, { conversationId });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a stream answers a message of this conversation (running or ended here, or its message stored). */
  async streamBelongsTo(conversationId: string, streamId: string): Promise<boolean> {
    if (this.ctx.hub.streamStates(conversationId).some((s) => s.streamId === streamId)) return true;
    // A queued stream has no events yet; its user message is stored (on any branch).
    return (await this.ctx.store.messagesTo(conversationId, userMessageIdOf(streamId), 1)).length > 0;
  }

  /**
   * Reserves prompt + max_tokens from the user's budget. Returns the amount reserved (0 when unmetered), or
   * undefined after telling the client why not (the client's outbox keeps the message and retries after
   * `retryAfterMs`).
   */
  private async reserveBudget(conn: Connection, request: GenerationRequest, ref: string): Promise<number | undefined> {
    const { config, store, log, metrics } = this.ctx;
    const policy = config.tokenBudget;
    if (!policy || policy.capacity <= 0) return 0;
    const promptChars = request.messages.reduce((n, m) => n + m.content.length, 0);
    const amount = estimatePromptTokens(promptChars) + request.maxTokens;
    let result;
    try {
      result = await store.reserveTokens(request.userId, amount, policy);
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

  private refundNow(userId: string, amount: number): void {
    const policy = this.ctx.config.tokenBudget;
    if (amount <= 0 || !policy) return;
    this.ctx.store
      .refundTokens(userId, amount, policy)
      .catch((error: unknown) => this.ctx.log.warn('could not refund a reservation', error));
  }
}
