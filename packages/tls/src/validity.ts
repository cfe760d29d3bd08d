const DAY_MS = 24 * 60 * 60 * 1000

/**
 * The validity window of a new certificate. It starts a minute in the past so that a peer whose
 * clock is slightly behind (or rounds to the second) does not see a "not yet valid" certificate.
 */
export function validityWindow(
  validityDays: number,
  now = new Date(),
): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(validityDays) || validityDays < 1) {
    throw new TypeError(`validityDays must be a positive integer, got ${validityDays}`)
  }
  const notBefore = new Date(now.getTime() - 60_000)
  return { notBefore, notAfter: new Date(now.getTime() + validityDays * DAY_MS) }
}

export const daysToMs = (days: number): number => days * DAY_MS
