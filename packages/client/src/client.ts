/**
 * `LlcClient`: the API components use. It connects to a relay, keeps conversation state, sends messages
 * (resent after reconnects until acknowledged; the relay deduplicates), stops answers and reports latency.
 *
 * It is an EventTarget, so any framework can listen; the events and their details are typed by
 * {@link LlcClientEventMap} (`status`, `conversation`, `stream-end`, `notice`, `mode`).
 *
 * The work is split in units it owns: the link (the connection, possibly shared by tabs), the ConversationStore
 * (messages and snapshots), the StreamTracker (the seq rule, resumes, latency), the Outbox (messages until the
 * relay settles them) and the ConversationSync (what each server frame means to those three). Smaller units serve
 * single calls: the AttachmentSender (files to upload first), FeedbackRequests (ratings), the ConversationLibrary
 * (list, rename, delete) and the CacheWriter (the device cache's writes).
 */
import {
  DEFAULT_CLIENT_LIMITS,
  newId,
  type Attachment,
  type ClientFrame,
  type FeedbackRating,
  type SendFrame,
  type ServerFrame,
  type ToolResult,
  type WelcomeFrame,
} from '@locallightchat/protocol/core';
import type { AttachmentSender } from './attachments/attachment-sender.js';
import { createAttachmentSender } from './attachments/create.js';
import { AttachmentUploadError, uploadFile, type PresignUpload, type UploadProgress } from './attachments/upload.js';
import { linkOptions, resolveClientOptions, LlcClientError, type LlcClientOptions } from './client-options.js';
import { ConversationStore } from './conversation-store.js';
import { ConversationSync, HISTORY_PAGE } from './conversation-sync.js';
import { FeedbackRequests } from './feedback-requests.js';
import {
  ConversationLibrary,
  type ConversationListPage,
  type ListConversationsOptions,
} from './conversation-library.js';
import { TypedEventTarget, type DetailOf, type LlcClientEventMap } from './events.js';
import { createLink } from './links/create.js';
import type { ConnectionMode, Link } from './links/link.js';
import { Outbox } from './outbox.js';
import { CacheWriter } from './persistence/cache-writer.js';
import { defaultLocalStore, MemoryLocalStore, warnStorage, type LocalStore } from './persistence/local-store.js';
import type { ConnectionStatus, StatusDetail } from './session.js';
import { StreamTracker } from './stream-tracker.js';
import type { TransportKind } from './transports/transport.js';
import {
  isLive,
  type ClientMessage,
  type ConversationSnapshot,
  type SendOptions,
  type StreamMetrics,
} from './types.js';

export interface ClientStats {
  status: ConnectionStatus;
  reconnects: number;
  /** Where the connection lives. The multi-tab modes (shared worker, leader tab) report themselves here. */
  mode: ConnectionMode;
  /** The transport of the (shared) connection while open. */
  transport?: TransportKind;
  lastStream?: StreamMetrics;
  streamsCompleted: number;
}

export class LlcClient extends TypedEventTarget<LlcClientEventMap> {
  readonly #link: Link;
  readonly #store: ConversationStore;
  readonly #outbox: Outbox;
  readonly #sync: ConversationSync;
  readonly #feedback = new FeedbackRequests((frame) => this.#link.send(frame));
  readonly #library = new ConversationLibrary((frame) => this.#link.send(frame));
  #status: ConnectionStatus = 'idle';
  #transport?: TransportKind;
  #reconnects = 0;
  #streamsCompleted = 0;
  #lastStream?: StreamMetrics;
  #welcome?: WelcomeFrame;
  readonly #local: LocalStore;
  readonly #cache: CacheWriter;
  readonly #attachments: AttachmentSender;
  readonly #presign: PresignUpload | undefined;
  readonly #token: () => Promise<string>;
  /** Resolves once the outbox of earlier pages is loaded (and queued for sending). */
  readonly restored: Promise<void>;

  constructor(options: LlcClientOptions) {
    super();
    const resolved = resolveClientOptions(options);
    this.#local =
      resolved.storage === false
        ? new MemoryLocalStore()
        : (resolved.storage ?? defaultLocalStore(`llc:${resolved.storageName}`));
    this.#cache = new CacheWriter(this.#local, (conversationId) => this.#store.cacheable(conversationId));
    const send = (frame: ClientFrame) => void this.#link.send(frame);
    this.#store = new ConversationStore((conversationId) => {
      this.#cache.changed(conversationId);
      this.#emit('conversation', { conversationId });
    });
    this.#outbox = new Outbox(this.#local, send);
    this.#sync = new ConversationSync(
      this.#store,
      new StreamTracker(send),
      this.#outbox,
      send,
      (conversationId, message, metrics) => {
        this.#streamsCompleted++;
        this.#lastStream = metrics;
        this.#emit('stream-end', { conversationId, message, metrics });
      },
    );
    this.#link = createLink(linkOptions(resolved), {
      onStatus: (status, detail) => this.#onStatus(status, detail),
      onWelcome: (welcome) => void (this.#welcome = welcome),
      onFrame: (frame) => this.#onFrame(frame),
      resyncFrames: () => this.#sync.resyncFrames(),
      onMode: (mode) => this.#emit('mode', { mode }),
    });
    this.#presign = resolved.presignUpload;
    this.#token = async () => resolved.getToken({ reason: 'connect' });
    this.#attachments = createAttachmentSender(resolved, this.#token, {
      show: (frame, place) => this.#sync.show(frame, place),
      message: (conversationId, key) => this.#store.message(conversationId, key),
      changed: (conversationId) => this.#store.changed(conversationId),
      deliver: (frame) => this.#sync.sendPlaced(frame),
    });
    this.restored = Promise.all([this.#sync.restore(), this.#attachments.restore()]).then(() => undefined);
    if (resolved.autoConnect) this.connect();
  }

  get connectionStatus(): ConnectionStatus {
    return this.#status;
  }

  /** The authenticated user, once connected. */
  get userId(): string | undefined {
    return this.#welcome?.userId;
  }

  /** The relay session of the connection (shared by every tab in the shared modes), once connected. */
  get sessionId(): string | undefined {
    return this.#welcome?.sessionId;
  }

  /** Longest message the relay accepts. */
  get maxTextChars(): number {
    return this.#welcome?.maxTextChars ?? DEFAULT_CLIENT_LIMITS.maxTextChars;
  }

  get stats(): ClientStats {
    return {
      status: this.#status,
      reconnects: this.#reconnects,
      mode: this.#link.mode,
      transport: this.#transport,
      lastStream: this.#lastStream,
      streamsCompleted: this.#streamsCompleted,
    };
  }

  connect(): void {
    this.#link.start();
  }

  /**
   * Closes the connection and cancels the client's timers (pending resends; cache writes are done at once).
   * `connect()` opens it again, and unacknowledged messages are sent then.
   */
  close(): void {
    this.#link.stop();
    this.#outbox.close();
    this.#feedback.close();
    this.#library.failAll('the client was closed');
    this.#cache.flush();
  }

  /** Shows a conversation: loads its history and follows it live (again after every reconnect). */
  open(conversationId: string): ConversationSnapshot {
    if (!this.#store.watches(conversationId)) {
      this.#store.watch(conversationId);
      // First paint from the device cache; the relay's history (requested at once) confirms or replaces it.
      this.#local
        .loadConversation(conversationId)
        .then((cached) => cached && this.#store.seed(conversationId, cached), warnStorage);
      this.#link.send(this.#sync.subscribeFrame(conversationId));
      this.#link.send({ type: 'history', conversationId, limit: HISTORY_PAGE });
    }
    return this.#store.snapshot(conversationId);
  }

  /**
   * Current state of a conversation (immutable snapshot; a new object after each change). A conversation not
   * opened gives an empty snapshot, and is not followed for it: `open()` does that.
   */
  snapshot(conversationId: string): ConversationSnapshot {
    return this.#store.snapshot(conversationId);
  }

  /** Loads the page of history before the oldest message held. */
  loadOlder(conversationId: string): void {
    const { cursor } = this.#store.snapshot(conversationId);
    if (cursor) this.#link.send({ type: 'history', conversationId, before: cursor, limit: HISTORY_PAGE });
  }

  /**
   * Sends a user message. It is shown at once (status `pending`), sent now if connected and otherwise after
   * the next connection, and resent until the relay acknowledges it; the relay answers each client message
   * id once, so a resend never produces a second answer. It is stored in the outbox (IndexedDB) before it is
   * sent, so a reload or a browser restart before the acknowledgement sends it again.
   */
  send(conversationId: string, text: string, options: SendOptions = {}): ClientMessage {
    const { attachments, ...rest } = options;
    const frame: SendFrame = { type: 'send', clientMessageId: newId('cm_'), conversationId, text, ...rest };
    if (!attachments?.length) return this.#sync.send(frame);
    if (attachments.every((a): a is Attachment => !(typeof Blob !== 'undefined' && a instanceof Blob)))
      return this.#sync.send({ ...frame, attachments });
    // Files to upload first: kept on the device, uploaded once connected, then sent with this id.
    const message = this.#attachments.enqueue(frame, attachments);
    if (this.#status === 'open') void this.#attachments.flush();
    return message;
  }

  /**
   * Uploads a file now (with the `presignUpload` hook), reporting progress; resolves with the attachment to send.
   * Rejects with an {@link AttachmentUploadError} (`retryable` when offline or the store failed: pass the File to
   * `send` instead and it is uploaded after the next connection).
   */
  uploadAttachment(
    file: File,
    options: { onProgress?: UploadProgress; signal?: AbortSignal } = {},
  ): Promise<Attachment> {
    if (!this.#presign)
      return Promise.reject(new AttachmentUploadError('this client has no presignUpload hook', false));
    const info = { name: file.name || 'file', mediaType: file.type || 'application/octet-stream', size: file.size };
    return uploadFile(this.#presign, this.#token, file, info, options.onProgress, options.signal);
  }

  /** True when the client can upload files (it has a `presignUpload` hook). */
  get canUpload(): boolean {
    return this.#presign !== undefined;
  }

  /**
   * Sends the results of an answer's tool calls back into the conversation, so the model continues (its next
   * answer streams like any other). One message per answer: its id is derived from the answer, so sending again
   * (a retry, another tab, after a reload) is stored and answered once. Returns the existing message when this
   * client already sent it.
   */
  sendToolResults(conversationId: string, answerKey: string, results: ToolResult[]): ClientMessage {
    const answer = this.#store.message(conversationId, answerKey);
    if (!answer || answer.role !== 'assistant' || !answer.streamId)
      throw new LlcClientError(`no answer ${answerKey} in conversation ${conversationId}`);
    const clientMessageId = `tr_${answer.streamId}`;
    const sent = this.#store.message(conversationId, clientMessageId);
    if (sent) return sent;
    return this.#sync.send({ type: 'send', clientMessageId, conversationId, text: '', toolResults: results });
  }

  /**
   * Regenerates an answer: the user message it replies to is sent again as a new version of itself (a sibling
   * branch with a new answer, shown from now on); the old answer and what followed it stay stored as another
   * branch, so the message that was asked again gets a picker (`siblings`) to switch between the answers.
   */
  regenerate(conversationId: string, answerKey: string): ClientMessage {
    const answer = this.#store.message(conversationId, answerKey);
    if (!answer || answer.role !== 'assistant')
      throw new LlcClientError(`no answer ${answerKey} in conversation ${conversationId}`);
    const question = this.#store
      .snapshot(conversationId)
      .messages.find((m) => m.id !== undefined && m.id === answer.replyTo);
    if (!question) throw new LlcClientError(`the message answered by ${answerKey} is not known yet`);
    if (answer.streamId && isLive(answer.status)) this.stop(conversationId, answer.streamId);
    return this.send(conversationId, question.text, { replaceFrom: question.id! });
  }

  /**
   * Shows another version of a message: `messageId` is one of its `siblings` (server ids). The relay keeps the
   * choice with the conversation, so every tab, a reload and other devices show that branch; this tab and the
   * others sharing its connection load it when the relay confirms. Answers being written on the branch left keep
   * going, and are resumed when it is shown again.
   */
  selectBranch(conversationId: string, messageId: string): void {
    this.#link.send({ type: 'select-branch', conversationId, messageId });
  }

  /**
   * Edit-and-resend: a new version of a sent user message with new text, shown from now on (with its answer); the
   * old version and what followed it stay stored as another branch.
   */
  editAndResend(
    conversationId: string,
    messageKey: string,
    text: string,
    options: Omit<SendOptions, 'replaceFrom'> = {},
  ): ClientMessage {
    const message = this.#store.message(conversationId, messageKey);
    if (!message || message.role !== 'user')
      throw new LlcClientError(`no user message ${messageKey} in conversation ${conversationId}`);
    if (message.id === undefined)
      throw new LlcClientError('the message has not been acknowledged yet; edit it once it is sent');
    for (const m of this.#store.snapshot(conversationId).messages) {
      if (m.streamId && isLive(m.status)) this.stop(conversationId, m.streamId);
    }
    return this.send(conversationId, text, { ...options, replaceFrom: message.id });
  }

  /**
   * Rates an answer (thumbs up or down, with an optional comment); rating it again replaces the earlier rating.
   * Resolves once the relay has stored it (it then reaches the app's webhook, if one is configured); rejects
   * with {@link LlcClientError} when the answer is unknown or still running, while offline, or when the relay
   * refuses it or does not confirm it within 15 s.
   */
  feedback(conversationId: string, answerKey: string, rating: FeedbackRating, comment?: string): Promise<void> {
    const answer = this.#store.message(conversationId, answerKey);
    if (!answer || answer.role !== 'assistant' || !answer.streamId)
      return Promise.reject(new LlcClientError(`no answer ${answerKey} in conversation ${conversationId}`));
    if (isLive(answer.status) || answer.status === 'pending')
      return Promise.reject(new LlcClientError('the answer is still being written; rate it once it ends'));
    return this.#feedback.rate(conversationId, answer.streamId, rating, comment);
  }

  /**
   * A page of the user's conversations (only theirs), newest activity first, with titles (automatic from the
   * first message, or renamed). Pass the previous page's `cursor` as `before` for the next one (with the same
   * `query`). With `query`, only conversations whose title contains it, ignoring case, searched on the relay;
   * a query longer than any title (`MAX_CONVERSATION_QUERY_CHARS`) rejects at once.
   */
  listConversations(options: ListConversationsOptions = {}): Promise<ConversationListPage> {
    return this.#library.list(options);
  }

  /** Renames a conversation of the user's; resolves once the relay stored the title. */
  renameConversation(conversationId: string, title: string): Promise<void> {
    return this.#library.rename(conversationId, title);
  }

  /**
   * Deletes a conversation of the user's for good: on the relay (messages, ratings, retained streams) and on this
   * device (its cached copy and unsent messages in IndexedDB, shared by every tab of the origin; every tab that
   * shares the connection also drops what it shows). Resolves once the relay has deleted it.
   */
  deleteConversation(conversationId: string): Promise<void> {
    return this.#library.delete(conversationId);
  }

  /** Stops an answer; the stop reaches the inference server. */
  stop(conversationId: string, streamId: string): void {
    this.#link.send({ type: 'stop', conversationId, streamId });
  }

  /** Reconnects now (e.g. a "retry" button while waiting for the backoff). */
  reconnectNow(): void {
    this.#link.reconnectNow();
  }

  #onStatus(status: ConnectionStatus, detail: StatusDetail): void {
    if (status === 'open' && this.#status !== 'idle' && this.#status !== 'connecting') this.#reconnects++;
    this.#status = status;
    if (status === 'open') void this.restored.then(() => this.#attachments.flush());
    this.#transport = status === 'open' ? detail.transport : undefined;
    this.#emit('status', { status, ...detail });
  }

  #onFrame(frame: ServerFrame): void {
    // The library's frames concern conversations this tab may not show: before the filter below.
    switch (frame.type) {
      case 'conversation-list':
        return this.#library.apply(frame);
      case 'conversation-renamed':
        this.#library.apply(frame);
        return this.#emit('library', { change: 'renamed', conversationId: frame.conversationId, title: frame.title });
      case 'conversation-deleted':
        this.#forget(frame.conversationId);
        this.#library.apply(frame);
        return this.#emit('library', { change: 'deleted', conversationId: frame.conversationId });
      case 'error':
        this.#library.apply(frame);
    }
    // A shared connection carries every tab's conversations: keep those this tab shows.
    if ('conversationId' in frame && !this.#store.watches(frame.conversationId)) return;
    this.#sync.apply(frame);
    if (frame.type === 'feedback-saved') this.#feedback.saved(frame);
    if (frame.type === 'error') this.#feedback.failed(frame);
    if (frame.type === 'error' || frame.type === 'go-away' || frame.type === 'auth-expiring')
      this.#emit('notice', { frame });
  }

  /** A deleted conversation: nothing of it stays on this device (and no pending cache write brings it back). */
  #forget(conversationId: string): void {
    this.#store.clear(conversationId);
    this.#cache.delete(conversationId);
  }

  #emit<K extends keyof LlcClientEventMap>(type: K, detail: DetailOf<LlcClientEventMap[K]>): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
