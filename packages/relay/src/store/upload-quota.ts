/**
 * The per-user upload byte quota, part of the Store port: how many bytes of files each user holds in the
 * relay's upload store (`uploadDir`, see attachments/upload-store.ts), counted in the shared store so every relay
 * process on the host draws from one allowance. A file's bytes are reserved before they are written (so a
 * concurrent burst, on one process or many, cannot overshoot) and given back when the write fails or the file is
 * deleted. The memory store keeps the count with {@link UploadByteLedger}; Redis in one Lua script
 * (./upload-quota-redis.ts). Both pass ./conformance-uploads.ts.
 */

/** What {@link UploadQuotaPort.reserveUploadBytes} did. */
export interface UploadReservation {
  /** Whether the bytes were taken (false: they would pass the limit; nothing changed). */
  ok: boolean;
  /** Bytes the user holds in uploads after the call. */
  used: number;
}

/** The Store's part for upload bytes (every adapter implements it; see the module comment). */
export interface UploadQuotaPort {
  /**
   * Adds `bytes` to what `userId` holds in uploads if the total stays within `limit`, atomically across every
   * relay node that shares the store. `bytes` 0 reads the count without changing it.
   */
  reserveUploadBytes(userId: string, bytes: number, limit: number): Promise<UploadReservation>;
  /** Gives back `bytes` of `userId`'s uploads (a failed write, a deleted file); the count never goes below 0. */
  releaseUploadBytes(userId: string, bytes: number): Promise<void>;
}

/** The count of a process-local store (the memory store's half of {@link UploadQuotaPort}). */
export class UploadByteLedger {
  readonly #used = new Map<string, number>();

  reserve(userId: string, bytes: number, limit: number): UploadReservation {
    assertBytes(bytes);
    const used = this.#used.get(userId) ?? 0;
    if (used + bytes > limit) return { ok: false, used };
    if (bytes > 0) this.#used.set(userId, used + bytes);
    return { ok: true, used: used + bytes };
  }

  release(userId: string, bytes: number): void {
    assertBytes(bytes);
    const left = (this.#used.get(userId) ?? 0) - bytes;
    if (left > 0) this.#used.set(userId, left);
    else this.#used.delete(userId);
  }
}

/** Refuses a byte count that is not a whole number ≥ 0 (a caller's bug; it would corrupt the count). */
export function assertBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0)
    throw new RangeError(`upload bytes must be a whole number ≥ 0, got ${bytes}`);
}
