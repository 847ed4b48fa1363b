/**
 * Turns raw client messages into handler calls, the same for every transport (a WebSocket message, a line of
 * an SSE POST). Nothing a client sends can throw out of here: undecodable or invalid frames get an `error`
 * frame (and, past a tolerated rate, a close), handler failures are logged and answered with `internal`, and
 * the socket loop goes on.
 */
import { BrokerUnavailableError } from '@locallightchat/broker';
import {
  CloseCode,
  decodeClientFrame,
  decodeClientFrameJson,
  type ClientFrame,
  type FrameLimits,
} from '@locallightchat/protocol';
import type { RelayContext } from '../context.js';
import { StoreUnavailableError } from '../store/store.js';
import type { Connection } from './connection.js';
import { ConversationHandlers } from './conversation-handlers.js';
import { LibraryHandlers } from './library-handlers.js';
import { SessionHandlers } from './session-handlers.js';

/** One per relay: the handlers reach the context themselves and act on a connection only through its methods. */
export class FrameDispatcher {
  private readonly limits: FrameLimits;
  private readonly session: SessionHandlers;
  private readonly conversations: ConversationHandlers;
  private readonly library: LibraryHandlers;

  constructor(private readonly ctx: RelayContext) {
    // Text length is checked by the send handler (with a clear `message-too-long`), so the codec only bounds
    // it by the frame size.
    this.limits = { maxFrameBytes: ctx.config.maxFrameBytes, maxTextChars: ctx.config.maxFrameBytes };
    this.conversations = new ConversationHandlers(ctx);
    this.session = new SessionHandlers(ctx, this.conversations);
    this.library = new LibraryHandlers(ctx, this.conversations);
  }

  /**
   * One client message. Binary messages are msgpack frames; text messages carry the JSON form of the same
   * frames (handy with wscat). Replies are always binary on a socket.
   */
  receive(conn: Connection, data: ArrayBuffer, isBinary: boolean): void {
    this.ctx.metrics.framesReceived.inc();
    // uWS neuters `data` when this callback returns; decoding copies everything we keep.
    const result = isBinary
      ? decodeClientFrame(new Uint8Array(data), this.limits)
      : decodeClientFrameJson(Buffer.from(data).toString('utf8'), this.limits);
    if (!result.ok) {
      conn.error(result.error.code, result.error.message);
      if (conn.countBadFrame()) {
        conn.flushNow();
        conn.close(CloseCode.ProtocolViolation, 'too many invalid frames');
      }
      return;
    }
    const frame = result.frame;
    const userId = conn.userId;
    if (!conn.takeFrameToken() || (userId !== undefined && !this.ctx.limits.takeFrame(userId))) {
      conn.error('too-many-frames', 'slow down: frame rate limit reached', refOf(frame), 1000);
      return;
    }
    if (frame.type !== 'hello' && frame.type !== 'ping' && frame.type !== 'pong' && !conn.principal) {
      conn.error('not-ready', 'send hello first', refOf(frame));
      return;
    }
    if (frame.type === 'ping') return conn.send({ type: 'pong', ts: frame.ts });
    if (frame.type === 'pong') return;
    // Frames of one connection are handled in order (subscribe before resume, hello before send).
    conn.serially(() => this.dispatch(conn, frame)).catch((error: unknown) => this.answerFailure(conn, frame, error));
  }

  private async dispatch(conn: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'hello':
        return this.session.hello(conn, frame);
      case 'auth':
        return this.session.auth(conn, frame);
      case 'ping':
      case 'pong':
        return;
      case 'send':
        return this.conversations.send(conn, frame);
      case 'subscribe':
        return this.conversations.subscribe(conn, frame);
      case 'unsubscribe':
        return this.conversations.unsubscribe(conn, frame);
      case 'resume':
        return this.conversations.resume(conn, frame);
      case 'stop':
        return this.conversations.stop(conn, frame);
      case 'history':
        return this.conversations.history(conn, frame);
      case 'feedback':
        return this.library.feedback(conn, frame);
      case 'list-conversations':
        return this.library.list(conn, frame);
      case 'rename-conversation':
        return this.library.rename(conn, frame);
      case 'delete-conversation':
        return this.library.delete(conn, frame);
      case 'select-branch':
        return this.library.selectBranch(conn, frame);
    }
  }

  /** A handler failed: a retryable error when a port is down, else `internal` (and the failure is logged). */
  private answerFailure(conn: Connection, frame: ClientFrame, error: unknown): void {
    if (!conn.isOpen) return;
    if (error instanceof BrokerUnavailableError)
      return conn.error('broker-unavailable', 'the message broker is unavailable', refOf(frame), 2000);
    if (error instanceof StoreUnavailableError)
      return conn.error('internal', 'storage is unavailable; try again', refOf(frame), 2000);
    this.ctx.log.error(`handling ${frame.type} failed`, error);
    conn.error('internal', `handling ${frame.type} failed`, refOf(frame));
  }
}

/** The id an error is about, so the client can match it to a pending action. */
function refOf(frame: ClientFrame): string | undefined {
  switch (frame.type) {
    case 'send':
      return frame.clientMessageId;
    case 'resume':
    case 'stop':
    case 'feedback':
      return frame.streamId;
    case 'select-branch':
      return frame.messageId;
    case 'subscribe':
    case 'unsubscribe':
    case 'history':
    case 'rename-conversation':
    case 'delete-conversation':
      return frame.conversationId;
    default:
      return undefined;
  }
}
