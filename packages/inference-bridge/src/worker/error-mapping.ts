/**
 * How backend failures reach the user: a protocol error code plus a sentence they can act on.
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
    const detail = error instanceof Error ? error.message : 'unknown error';
    return { code: 'stream-failed', message: `The answer was interrupted (${detail}). You can regenerate it.` };
  }
  if (!(error instanceof InferenceError)) {
    return { code: 'internal', message: 'The answer could not be generated because of an internal error.' };
  }
  switch (error.kind) {
    case 'context-too-long':
      return { code: 'context-too-long', message: `The conversation is too long for the model: ${error.message}` };
    case 'model-not-found':
      return { code: 'model-not-found', message: `The requested model is not available: ${error.message}` };
    case 'overloaded':
    case 'timeout':
      return { code: 'overloaded', message: 'Every model server is busy right now. Please try again in a moment.' };
    case 'connect':
      return { code: 'backend-unavailable', message: 'No model server could be reached. Please try again shortly.' };
    case 'bad-request':
      return { code: 'stream-failed', message: `The model server refused the request: ${error.message}` };
    case 'server':
    case 'aborted':
      return { code: 'stream-failed', message: `The model server failed: ${error.message}` };
  }
}
