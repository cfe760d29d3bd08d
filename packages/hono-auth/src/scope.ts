import type { JWTPayload } from '@jwt-factory/jwt'

/**
 * The scopes a token grants: its `scope` claim split on spaces (RFC 6749 §3.3, RFC 9068 §2.2.3).
 * Anything but a string grants nothing.
 */
export function scopesOf(claims: JWTPayload): ReadonlySet<string> {
  const { scope } = claims
  return new Set(typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [])
}
