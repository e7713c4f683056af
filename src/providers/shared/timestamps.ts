import type { VerifyFailure } from '../provider-adapter';

/** A signed timestamp must lie within the tolerance on either side of now: replays and forged futures both fail. */
export function checkTimestamp(
  signedAtSeconds: number,
  now: Date,
  toleranceSeconds: number,
): Extract<VerifyFailure, 'stale_timestamp' | 'future_timestamp'> | null {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds - signedAtSeconds > toleranceSeconds) return 'stale_timestamp';
  if (signedAtSeconds - nowSeconds > toleranceSeconds) return 'future_timestamp';
  return null;
}

export function parseUnixSeconds(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) : null;
}
