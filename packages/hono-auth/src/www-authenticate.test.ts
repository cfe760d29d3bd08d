import { describe, expect, it } from 'vitest'
import { bearerChallenge } from './www-authenticate.ts'

describe('bearerChallenge', () => {
  it('writes an error_description of printable ASCII without " or \\ (RFC 6750 §3), so any refusal fits a header', () => {
    const challenge = bearerChallenge({
      realm: 'servicec',
      error: 'invalid_token',
      description: 'jwt act chain invalid. expected: serviceb ← servicea, seen: "x"\\y\té',
    })
    expect(challenge).toBe(
      `Bearer realm="servicec", error="invalid_token", error_description="jwt act chain invalid. expected: serviceb <- servicea, seen: 'x'/y??"`,
    )
    // What the header would refuse to carry: fetch's Headers throws on anything beyond a byte.
    expect(() => new Headers({ 'www-authenticate': challenge })).not.toThrow()
    expect(
      () =>
        new Headers({
          'www-authenticate': bearerChallenge({ realm: 'a ← b', error: 'invalid_token' }),
        }),
    ).not.toThrow()
  })

  it('escapes a quote in the other parameters, as quoted-string allows', () => {
    expect(bearerChallenge({ realm: 'a"b' })).toBe('Bearer realm="a\\"b"')
  })
})
