import { localKeys, verifyToken } from '@jwt-factory/jwt'
import { splitToken } from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FactoryContext } from '../deps.ts'
import { USER_KEY_ID } from '../keys/user-keys.ts'
import { createTestFactory } from '../test-support.ts'
import { signAccessToken } from './access-token.ts'

const T = new Date('2026-06-01T12:00:00Z')
let factory: Awaited<ReturnType<typeof createTestFactory>>
let context: FactoryContext

beforeAll(async () => {
  factory = await createTestFactory({}, () => T)
  const { config, keyStore, userKeys } = factory
  context = { config, keyStore, userKeys, now: () => T } as FactoryContext
})

afterAll(() => factory?.cleanup())

describe('signAccessToken', () => {
  it("a service token: the ring of its sub (made on demand), typ JWT, the service issuer's iss", async () => {
    expect(factory.keyStore.get('servicea')).toBeUndefined()
    const claims = { sub: 'servicea', client_id: 'servicea', aud: 'serviceb' }
    const signed = await signAccessToken(context, { issuer: 'services', claims, ttlSeconds: 60 })
    const ring = factory.keyStore.get('servicea')!
    expect(splitToken(signed.token).header).toEqual({
      alg: 'ES256',
      kid: ring.active.kid,
      typ: 'JWT',
    })
    const keys = localKeys((kid) => factory.keyStore.lookup('servicea', kid))
    const result = await verifyToken(signed.token, keys, {
      issuer: factory.config.serviceIssuer,
      audience: 'serviceb',
      currentDate: T,
    })
    expect(result).toMatchObject({
      valid: true,
      claims: { ...claims, exp: T.getTime() / 1000 + 60 },
    })
    expect(signed.claims.jti).toBe(result.claims.jti)
  })

  it("a user token: the user key, typ at+jwt, the user issuer's iss; never servicea's ring", async () => {
    const claims = { sub: 'alice', client_id: 'servicea', aud: 'serviceb', scope: 'app-view' }
    const signed = await signAccessToken(context, { issuer: 'users', claims, ttlSeconds: 60 })
    const key = await factory.userKeys.signingKey()
    expect(splitToken(signed.token).header).toEqual({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
    expect(factory.keyStore.get('alice')).toBeUndefined()
    const keys = localKeys((kid) => factory.userKeys.lookup(kid), USER_KEY_ID)
    const result = await verifyToken(signed.token, keys, {
      issuer: factory.config.userIssuer,
      typ: 'at+jwt',
      currentDate: T,
    })
    expect(result).toMatchObject({ valid: true, claims })
  })

  it('refuses a token longer than any verifier here takes, as invalid_request', async () => {
    const claims = { sub: 'servicea', aud: 'x'.repeat(9000) }
    await expect(
      signAccessToken(context, { issuer: 'services', claims, ttlSeconds: 60 }),
    ).rejects.toMatchObject({ code: 'invalid_request', message: /longer than 8192/ })
  })
})
