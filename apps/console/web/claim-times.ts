import { isoTime, relativeTime } from './time-format.ts'

/** The time claims of RFC 7519 §4.1.4-4.1.6: seconds since the epoch. */
export const TIME_CLAIMS = ['iat', 'nbf', 'exp'] as const
export type TimeClaim = (typeof TIME_CLAIMS)[number]

export interface ClaimTime {
  iso: string
  relative: string
  /** exp in the past, or nbf/iat in the future: the claim that makes the token unusable now. */
  late: boolean
}

/**
 * How the token panel annotates a time claim: `2026-12-01T10:19:33Z · in 59 min`, with `late`
 * set for an `exp` already past (red on the page). Anything but a finite number gets no note:
 * a claim the verifier would refuse is shown as it is, not interpreted.
 */
export function claimTime(name: string, value: unknown, now: number): ClaimTime | undefined {
  if (!isTimeClaim(name) || typeof value !== 'number' || !Number.isFinite(value)) return undefined
  const at = value * 1000
  return {
    iso: isoTime(at),
    relative: relativeTime(at, now),
    late: name === 'exp' ? at <= now : at > now,
  }
}

const isTimeClaim = (name: string): name is TimeClaim =>
  (TIME_CLAIMS as readonly string[]).includes(name)
