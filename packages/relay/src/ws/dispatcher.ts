/**
 * Turns raw socket messages into handler calls. Nothing a client sends can throw out of here: undecodable or
 * invalid frames get an `error` frame (and, past a tolerated rate, a close), handler failures are logged and
 * answered with `internal`, and the socket loop goes on.
 */
import { BrokerUnavailableError } from '@locallightchat/broker';
import {
  CloseCode,
  decodeClientFrame,
  decodeClientFrameJson,
  type ClientFrame,
  type FrameLimits,
} from '@locallightchat/protocol';
import { StoreUnavailableError } from '../store/store.js';
import type { Connection } from './connection.js';
import {
  handleHistory,
  handleResume,
  handleSend,
  handleStop,
  handleSubscribe,
  handleUnsubscribe,
} from './conversation-handlers.js';
import { handleAuth, handleHello } from './session-handlers.js';

export function limitsFor(maxFrameBytes: number): FrameLimits {
  // Text length is checked by the send handler (with a clear `message-too-long`), so the codec only bounds
  // it by the frame size.
  return { maxFrameBytes, maxTextChars: maxFrameBytes };
}

/**
 * Binary messages are msgpack frames; text messages carry the JSON form of the same frames (handy with
 * wscat). Replies are always binary.
 */
export function onSocketMessage(conn: Connection, data: ArrayBuffer, isBinary: boolean, limits: FrameLimits): void {
  const { metrics } = conn.ctx;
  metrics.framesReceived.inc();
  // uWS neuters `data` when this callback returns; decoding copies everything we keep.
  const result = isBinary
    ? decodeClientFrame(new Uint8Array(data), limits)
    : decodeClientFrameJson(Buffer.from(data).toString('utf8'), limits);
  if (!result.ok) {
    conn.error(result.error.code, result.error.message);
    if (conn.countBadFrame()) {
      conn.flushNow();
      conn.close(CloseCode.ProtocolViolation, 'too many invalid frames');
    }
    return;
  }
  const frame = result.frame;
  if (!conn.takeFrameToken()) {
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
  conn
    .serially(() => dispatch(conn, frame))
    .catch((error: unknown) => {
      if (!conn.isOpen) return;
      if (error instanceof BrokerUnavailableError)
        return conn.error('broker-unavailable', 'the message broker is unavailable', refOf(frame), 2000);
      if (error instanceof StoreUnavailableError)
        return conn.error('internal', 'storage is unavailable; try again', refOf(frame), 2000);
      conn.ctx.log.error(`handling ${frame.type} failed`, error);
      conn.error('internal', `handling ${frame.type} failed`, refOf(frame));
    });
}

async function dispatch(conn: Connection, frame: ClientFrame): Promise<void> {
  switch (frame.type) {
    case 'hello':
      return handleHello(conn, frame);
    case 'auth':
      return handleAuth(conn, frame);
    case 'ping':
    case 'pong':
      return;
    case 'send':
      return handleSend(conn, frame);
    case 'subscribe':
      return handleSubscribe(conn, frame);
    case 'unsubscribe':
      return handleUnsubscribe(conn, frame);
    case 'resume':
      return handleResume(conn, frame);
    case 'stop':
      return handleStop(conn, frame);
    case 'history':
      return handleHistory(conn, frame);
  }
}

/** The id an error is about, so the client can match it to a pending action. */
function refOf(frame: ClientFrame): string | undefined {
  switch (frame.type) {
    case 'send':
      return frame.clientMessageId;
    case 'resume':
    case 'stop':
      return frame.streamId;
    case 'subscribe':
    case 'unsubscribe':
    case 'history':
      return frame.conversationId;
    default:
      return undefined;
  }
}
