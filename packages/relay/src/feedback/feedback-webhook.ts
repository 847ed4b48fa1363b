/**
 * Offers each stored rating to the application: an HTTP POST of the record as JSON to a URL the operator
 * configures (`llc-relay --feedback-webhook URL`). Delivery runs beside the client's answer, never in its way:
 * the rating is already stored (the Store is the record of truth, {@link Store.listFeedback} reads it back),
 * so a webhook that is down loses no feedback, it only delays the app's notice; failed posts are retried a few
 * times with a growing pause and then logged.
 */
import type { Logger } from '../log.js';
import { withDefaults } from '../options.js';
import type { FeedbackRecord } from '../store/store.js';

/** Settings of a {@link FeedbackWebhook}; its constructor takes the url and a partial of the rest. */
export interface FeedbackWebhookOptions {
  /** Where each rating is POSTed (`content-type: application/json`, body: the FeedbackRecord). */
  url: string;
  /** Longest wait for one POST's response, ms. */
  timeoutMs: number;
  /** Tries per rating (the first included); a 2xx answer ends them. */
  attempts: number;
  /** Pause before the second try, doubled before each later one, ms. */
  retryDelayMs: number;
}

/** What a {@link FeedbackWebhook} does unless told otherwise. */
export const DEFAULT_FEEDBACK_WEBHOOK_OPTIONS: Omit<FeedbackWebhookOptions, 'url'> = {
  timeoutMs: 5000,
  attempts: 3,
  retryDelayMs: 500,
};

/** Full options from the url and a partial of the rest. */
export function resolveFeedbackWebhookOptions(
  partial: Partial<FeedbackWebhookOptions> & Pick<FeedbackWebhookOptions, 'url'>,
): FeedbackWebhookOptions {
  const options = withDefaults(DEFAULT_FEEDBACK_WEBHOOK_OPTIONS, partial);
  if (!/^https?:\/\//.test(options.url))
    throw new RangeError(`the feedback webhook must be an http(s) URL: ${options.url}`);
  if (options.attempts < 1) throw new RangeError('feedback webhook attempts must be at least 1');
  return options;
}

/** Posts ratings to the app's URL (see the module comment). */
export class FeedbackWebhook {
  readonly options: FeedbackWebhookOptions;
  readonly #log: Logger;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: Partial<FeedbackWebhookOptions> & Pick<FeedbackWebhookOptions, 'url'>, log: Logger) {
    this.options = resolveFeedbackWebhookOptions(options);
    this.#log = log;
  }

  /** Starts delivering a rating; returns at once (see {@link settled} to wait). */
  offer(record: FeedbackRecord): void {
    const delivery = this.#deliver(record).finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
  }

  /** Resolves when every delivery started so far has ended (a relay's drain waits for it). */
  async settled(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async #deliver(record: FeedbackRecord): Promise<void> {
    const { url, attempts, timeoutMs, retryDelayMs } = this.options;
    const body = JSON.stringify(record);
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return;
        lastProblem = `HTTP ${response.status}`;
      } catch (error) {
        lastProblem = error instanceof Error ? error.message : String(error);
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
    }
    this.#log.warn(
      `feedback on ${record.streamId} was stored but not delivered to the webhook after ${attempts} tries (${lastProblem})`,
    );
  }
}
