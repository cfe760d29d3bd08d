import type { Jwks } from '@jwt-factory/jwt'
import { describe, expect, it } from 'vitest'
import { publishedJwks } from './published-jwks.ts'

const jwk = (kid: string) => ({ kid, kty: 'EC', alg: 'ES256', use: 'sig' }) as Jwks['keys'][number]

describe('publishedJwks', () => {
  it('merges the key sets and rebuilds only when one of them is a new object', () => {
    let services: Jwks = { keys: [jwk('a')] }
    const users: Jwks = { keys: [jwk('u')] }
    const jwks = publishedJwks({ jwks: () => services }, { jwks: () => users })
    const first = jwks()
    expect(first.keys.map((k) => k.kid)).toEqual(['a', 'u'])
    expect(jwks()).toBe(first)
    services = { keys: [jwk('a'), jwk('b')] }
    expect(jwks().keys.map((k) => k.kid)).toEqual(['a', 'b', 'u'])
    expect(jwks()).not.toBe(first)
  })
})
