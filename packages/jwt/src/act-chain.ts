import type { JWTPayload } from 'jose'

/**
 * A chain longer than this is refused whatever it holds: no delegation here is that deep, and a
 * verifier must not walk a nesting of the sender's choosing without end.
 */
const MAX_ACTORS = 8

/**
 * The `sub`s of a token's `act` chain (RFC 8693 §4.1), the most recent actor first: the claim
 * nests the chain with the latest actor outermost. Empty when the token has no `act`; an actor
 * without a string `sub` reads as "?", so it can never equal a name.
 */
export function actorsOf(claims: JWTPayload): string[] {
  const actors: string[] = []
  let act = claims.act as { sub?: unknown; act?: unknown } | undefined
  while (act && typeof act === 'object' && actors.length <= MAX_ACTORS) {
    actors.push(typeof act.sub === 'string' ? act.sub : '?')
    act = act.act as typeof act
  }
  return actors
}

/** A chain as the trace and the refusal say it: "serviceb ← servicea", or "none". */
export const actChainText = (actors: readonly string[]): string =>
  actors.length > 0 ? actors.join(' ← ') : 'none'

/**
 * Whether a token's chain is exactly the one expected, actor for actor. A chain deeper than
 * MAX_ACTORS is never one: it was read only in part.
 */
export function isActChain(claims: JWTPayload, expected: readonly string[]): boolean {
  const actors = actorsOf(claims)
  if (actors.length > MAX_ACTORS) return false
  return actors.length === expected.length && actors.every((actor, i) => actor === expected[i])
}
