import type { ControlState } from '@jwt-factory/console/api'
import type { KeySetState } from '@jwt-factory/service'
import { formatDuration } from './time-format.ts'

/** One cache's countdown: what it holds and how long until it lets go. */
export interface Countdown {
  /** `countdown-token-serviceb`, `countdown-jwks-serviceb`. */
  testid: string
  title: string
  /** Milliseconds left; absent when there is nothing to count (not fetched, process stopped). */
  remaining?: number
  /** Share of the cached time left, 0..1, when its start is known. */
  fraction?: number
  text: string
  kid?: string
}

/**
 * servicea's cached tokens: it sends the same token again until `reusedUntil` (some time before
 * exp, so a token never expires on its way), then asks the factory for a new one.
 */
export function tokenCountdowns(state: ControlState, now: number): Countdown[] {
  return (state.servicea?.tokens ?? []).map((token) => {
    const remaining = token.reusedUntil - now
    return {
      testid: `countdown-token-${token.aud}`,
      title: `servicea's token for ${token.aud}`,
      kid: token.kid,
      remaining: Math.max(0, remaining),
      text:
        remaining > 0
          ? `reused for ${formatDuration(remaining)} more, then servicea asks jwt-factory again`
          : 'no longer reused: the next call asks jwt-factory for a new token',
    }
  })
}

/**
 * Each verifier's cache of servicea's public keys (the JWKS): until `staleAt` it verifies with the
 * keys it holds, so a key the factory has retired still verifies there (the factory's own
 * /verify refuses it at once); after it, the next verification fetches the set again. This is
 * where retirement shows: the two paths disagree until the verifier's copy goes stale. (A new
 * kid is fetched at once, at most once per cooldown, so a rotation agrees sooner.)
 */
export function jwksCountdowns(state: ControlState, now: number): Countdown[] {
  return Object.entries(state.verifiers).map(([verifier, cache]) => {
    const testid = `countdown-jwks-${verifier}`
    const title = `${verifier}'s copy of servicea's public keys`
    if (!cache) return { testid, title, text: `${verifier} is not answering: nothing cached` }
    const set = servicea(cache.keySets)
    if (!set || typeof set.fetchedAt !== 'number' || typeof set.staleAt !== 'number')
      return { testid, title, text: 'not fetched yet: the first verification with JWKS fetches it' }
    const remaining = set.staleAt - now
    const span = set.staleAt - set.fetchedAt
    return {
      testid,
      title,
      remaining: Math.max(0, remaining),
      fraction: span > 0 ? Math.min(1, Math.max(0, remaining / span)) : 0,
      text:
        remaining > 0
          ? `fresh for ${formatDuration(remaining)}, then fetched again from jwt-factory`
          : 'stale: the next verification with JWKS fetches it again',
    }
  })
}

/**
 * The set of servicea's keys among a verifier's sets (scenario 5 adds the users' keys); never
 * another set, whose times would be counted down under servicea's name.
 */
const servicea = (sets: readonly KeySetState[]) =>
  sets.find((set) => `${set.name ?? ''} ${set.url}`.includes('servicea'))
