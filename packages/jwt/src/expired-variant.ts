/** How long before now an expired variant expired: the original demo's "expired an hour ago". */
export const EXPIRED_TOKEN_AGE_SECONDS = 3600

/**
 * The time to sign at so that a token lasting `ttlSeconds` expired EXPIRED_TOKEN_AGE_SECONDS before
 * `now`: the scenarios' `?expired=1`. The token is signed as any other, only at another time, so
 * the signer has no mode that writes times it was not given.
 */
export function expiredVariantTime(ttlSeconds: number, now: Date = new Date()): Date {
  return new Date(now.getTime() - (EXPIRED_TOKEN_AGE_SECONDS + ttlSeconds) * 1000)
}
