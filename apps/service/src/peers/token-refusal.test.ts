import { bearerChallenge } from '@jwt-factory/hono-auth'
import { describe, expect, it } from 'vitest'
import { tokenRefusal } from './token-refusal.ts'

/** The challenges are built by hono-auth, as the verifying side sends them. */
const refused = (description?: string) =>
  bearerChallenge({
    realm: 'serviceb',
    error: 'invalid_token',
    ...(description === undefined ? {} : { description }),
  })

describe('tokenRefusal', () => {
  it('reads why a 401 or 403 refused the bearer token itself', () => {
    expect(tokenRefusal(403, refused('no key matches the token'))).toBe('no key matches the token')
    expect(tokenRefusal(401, refused('jwt expired'))).toBe('jwt expired')
    expect(tokenRefusal(403, refused())).toBe('invalid_token')
  })

  it('unquotes the description, whatever it holds', () => {
    // RFC 6750 §3 keeps `"` and `\` out of error_description, and hono-auth writes none; a
    // verifier elsewhere may still send them as quoted-pairs.
    const header =
      'Bearer realm="serviceb", error="invalid_token", error_description="kid \\"a\\\\b\\", typ JWT, keys: servicea\'s keys, at jwt-factory"'
    expect(tokenRefusal(403, header)).toBe(
      'kid "a\\b", typ JWT, keys: servicea\'s keys, at jwt-factory',
    )
    // What hono-auth writes reads back as written, its arrows spelled <-.
    expect(tokenRefusal(403, refused('jwt act chain invalid. expected: serviceb ← servicea'))).toBe(
      'jwt act chain invalid. expected: serviceb <- servicea',
    )
  })

  it('finds the Bearer challenge among several, in any case of the scheme and parameter names', () => {
    const challenges = ['Basic realm="serviceb"', refused('jwt expired')]
    expect(tokenRefusal(403, challenges)).toBe('jwt expired')
    expect(tokenRefusal(403, 'bearer REALM="serviceb", ERROR=invalid_token')).toBe('invalid_token')
  })

  it('is not a refusal of the token: no token, a missing scope, another scheme, another status', () => {
    expect(tokenRefusal(401, bearerChallenge({ realm: 'serviceb' }))).toBeUndefined()
    const scope = bearerChallenge({
      realm: 'serviceb',
      error: 'insufficient_scope',
      description: 'needs app-view',
      scope: 'app-view',
    })
    expect(tokenRefusal(403, scope)).toBeUndefined()
    expect(tokenRefusal(400, bearerChallenge({ realm: 'b', error: 'invalid_request' }))).toBe(
      undefined,
    )
    expect(tokenRefusal(403, 'Basic realm="serviceb", error="invalid_token"')).toBeUndefined()
    expect(tokenRefusal(403, 'Bearerish error="invalid_token"')).toBeUndefined()
    expect(
      tokenRefusal(403, 'Bearer realm="b", error_description="error=\\"invalid_token\\""'),
    ).toBeUndefined()
    expect(tokenRefusal(403, undefined)).toBeUndefined()
    for (const status of [200, 404, 500, 502])
      expect(tokenRefusal(status, refused('no key matches the token'))).toBeUndefined()
  })

  it('keeps a description fit for one log line', () => {
    expect(tokenRefusal(403, refused('x'.repeat(1000)))).toHaveLength(200)
    expect(tokenRefusal(403, 'Bearer error="invalid_token", error_description="a\tb"')).toBe('a b')
  })
})
