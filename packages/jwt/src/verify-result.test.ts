import { describe, expect, it } from 'vitest'
import { isKeysUnavailable, isoTime, type VerifyErrorCode } from './verify-result.ts'

describe('isKeysUnavailable: the keys failed, not the token', () => {
  it.each(['ERR_JWKS_UNAVAILABLE', 'ERR_JWKS_TIMEOUT'] as const)('%s: true', (code) => {
    expect(isKeysUnavailable(code)).toBe(true)
  })

  it.each([
    'ERR_JWS_INVALID',
    'ERR_JWT_INVALID',
    'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    'ERR_JOSE_ALG_NOT_ALLOWED',
    'ERR_JWKS_NO_MATCHING_KEY',
    'ERR_JWT_EXPIRED',
    'ERR_JWT_CLAIM_VALIDATION_FAILED',
  ] satisfies VerifyErrorCode[])('%s: false', (code) => {
    expect(isKeysUnavailable(code)).toBe(false)
  })
})

describe('isoTime: a claim time for a refusal, never a throw', () => {
  it('reads NumericDate seconds, fractions included', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z')
    expect(isoTime(1893553445.5)).toBe('2030-01-02T03:04:05.500Z')
  })

  it('covers exactly the range of Date, both ends', () => {
    expect(isoTime(8.64e12)).toBe('+275760-09-13T00:00:00.000Z')
    expect(isoTime(-8.64e12)).toBe('-271821-04-20T00:00:00.000Z')
  })

  // A signed claim can hold any JSON value.
  it.each([8.64e12 + 1, -8.64e12 - 1, Number.NaN, Infinity, '1893553445', null, undefined])(
    '%j: undefined',
    (seconds) => {
      expect(isoTime(seconds)).toBeUndefined()
    },
  )
})
