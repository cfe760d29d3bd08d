import { describe, expect, it } from 'vitest'
import { signToken } from './sign.ts'
import { generateSigningKey } from './signing-key.ts'
import { tokenKid } from './token-header.ts'

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('tokenKid', () => {
  it('reads the kid of a signed token', async () => {
    const key = await generateSigningKey('ES256')
    const { token } = await signToken(key, { sub: 'a' }, { ttlSeconds: 60 })
    expect(tokenKid(token)).toBe(key.kid)
  })

  it.each([
    ['no kid', `${b64url({ alg: 'ES256' })}.${b64url({})}.sig`],
    ['a kid that is not a string', `${b64url({ alg: 'ES256', kid: 7 })}.${b64url({})}.sig`],
    ['garbage', 'not a token'],
    ['an empty string', ''],
  ])('is undefined for %s', (_label, token) => {
    expect(tokenKid(token)).toBeUndefined()
  })
})
