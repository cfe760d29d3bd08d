import { beforeAll, describe, expect, it } from 'vitest'
import { signForged } from './forge.ts'
import { keyList } from './key-source.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { verifyTokenWithReport, verifyToken } from './verify.ts'

/** Tokens whose standard defines no `typ` and makes `iat` optional: RFC 7523 client assertions. */
const T = new Date('2030-01-02T03:04:05.000Z')
const now = T.getTime() / 1000
const assertionOptions = {
  issuer: 'client',
  subject: 'client',
  typ: false,
  requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
  currentDate: T,
} as const

let key: SigningKey
beforeAll(async () => {
  key = await generateSigningKey('ES256')
})

const claims = { iss: 'client', sub: 'client', aud: 'https://as.example', exp: now + 60, jti: 'j' }

describe('verifyToken with typ: false and its own required claims', () => {
  it('accepts a token without typ and iat, which the defaults refuse', async () => {
    const token = signForged(key, { alg: 'ES256', kid: key.kid }, claims)
    const keys = keyList([key])
    expect(await verifyToken(token, keys, assertionOptions)).toEqual({ valid: true, claims })
    const byDefault = await verifyToken(token, keys, { currentDate: T })
    expect(byDefault).toMatchObject({
      valid: false,
      error: { message: 'jwt type invalid. expected: JWT' },
    })
    const { report } = await verifyTokenWithReport(token, keys, assertionOptions)
    expect(report.checks.find((c) => c.name === 'typ')).toMatchObject({
      expected: '(any)',
      status: 'passed',
    })
    expect(report.checks.find((c) => c.name === 'required')).toMatchObject({
      expected: 'iss, sub, aud, exp, jti',
      status: 'passed',
    })
  })

  it('still refuses a missing required claim, and still checks iat when there is one', async () => {
    const { jti: _, ...noJti } = claims
    const keys = keyList([key])
    const missing = await verifyToken(
      signForged(key, { alg: 'ES256' }, noJti),
      keys,
      assertionOptions,
    )
    expect(missing).toMatchObject({ valid: false, error: { message: 'jwt jti required' } })
    const ahead = signForged(key, { alg: 'ES256' }, { ...claims, iat: now + 3600 })
    expect(await verifyToken(ahead, keys, assertionOptions)).toMatchObject({
      valid: false,
      error: { message: 'jwt issued in the future' },
    })
  })
})
