import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { HttpError } from '../http/errors';

const idempotencyKey = z.string().trim().min(1).max(255);

/**
 * The Idempotency-Key header of a create that money moves on (a payout, a payout batch): a retry with the key is
 * answered with what the first request made, never a second one. Null without the header.
 */
export function idempotencyKeyOf(req: Request): string | null {
  const raw = req.get('Idempotency-Key');
  if (raw === undefined) return null;
  const key = idempotencyKey.safeParse(raw);
  if (!key.success) throw new HttpError(400, 'Idempotency-Key: must be 1 to 255 characters');
  return key.data;
}

/** What a request asked for, as the parts given (already put in a canonical order): a retry must ask for the same. */
export function requestDigest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * A key as a row keeps it, within the scope it was given in (the merchant's API, one affiliate's portal): two
 * affiliates' keys never meet, and a scope of any length fits the column (SHA-256 hex).
 */
export function scopedKey(scope: string, key: string): string {
  return createHash('sha256').update(`${scope}\u0000${key}`).digest('hex');
}
