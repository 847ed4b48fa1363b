/**
 * How backend failures reach the user: a protocol error code plus a sentence they can act on. The sentence
 * never carries the backend's own words (internal addresses, socket error codes, stack details): those go to
 * the bridge's log (see {@link failureDetail}); the user is told what happened in their terms.
 */
import type { ErrorCode } from '@locallightchat/protocol';
import { InferenceError } from '../backend.js';

/** What the user is told when an answer fails: a protocol error code and a sentence. */
export interface UserFacingError {
  code: ErrorCode;
  message: string;
}

/** The user-facing error for a failure, before or after the first token reached them. */
export function toUserError(error: unknown, afterFirstToken: boolean): UserFacingError {
  if (afterFirstToken) {
    return { code: 'stream-failed', message: 'The answer was interrupted before it was complete.' };
  }
  if (!(error instanceof InferenceError)) {
    return { code: 'internal', message: 'The answer could not be generated because of an internal error.' };
  }
  switch (error.kind) {
    case 'context-too-long':
      return {
        code: 'context-too-long',
        message: 'The conversation is too long for the model: shorten it or start a new one.',
      };
    case 'model-not-found':
      return { code: 'model-not-found', message: 'The requested model is not available.' };
    case 'overloaded':
    case 'timeout':
      return { code: 'overloaded', message: 'Every model server is busy right now. Please try again in a moment.' };
    case 'connect':
      return { code: 'backend-unavailable', message: 'No model server could be reached. Please try again shortly.' };
    case 'bad-request':
      return { code: 'stream-failed', message: 'The model server refused the request.' };
    case 'server':
    case 'aborted':
      return { code: 'stream-failed', message: 'The model server failed while answering.' };
  }
}

/** The failure as operators need it (for the log, never for the user). */
export function failureDetail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const kind = error instanceof InferenceError ? `${error.kind}: ` : '';
  const cause = (error as { cause?: unknown }).cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? ` (${String(cause.code)})` : '';
  return `${kind}${error.message}${code}`;
}
