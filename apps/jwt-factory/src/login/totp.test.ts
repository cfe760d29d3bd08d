import { Secret } from 'otpauth'
import { describe, expect, it } from 'vitest'
import { matchTotpCode, newTotpSecret, totpCode, totpUri, TOTP_PARAMS } from './totp.ts'

/** RFC 6238 Appendix B, SHA-1 column: the secret is the ASCII string "12345678901234567890". */
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32
const RFC_PARAMS = { algorithm: 'SHA1', digits: 8, period: 30 } as const
const VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('Appendix B: T = %i s gives %s', (seconds, expected) => {
    const at = seconds * 1000
    expect(totpCode(RFC_SECRET, at, RFC_PARAMS)).toBe(expected)
    // The server's check, on the same code path, finds the step the code belongs to.
    expect(matchTotpCode(RFC_SECRET, expected, at, RFC_PARAMS)).toBe(Math.floor(seconds / 30))
  })

  it('accepts one step either side and no further', () => {
    const secret = newTotpSecret()
    const at = 1_900_000_005_000
    const step = Math.floor(at / 30_000)
    expect(matchTotpCode(secret, totpCode(secret, at - 30_000), at)).toBe(step - 1)
    expect(matchTotpCode(secret, totpCode(secret, at + 30_000), at)).toBe(step + 1)
    expect(matchTotpCode(secret, totpCode(secret, at - 60_000), at)).toBeUndefined()
    expect(matchTotpCode(secret, totpCode(secret, at + 60_000), at)).toBeUndefined()
  })

  it('refuses anything that is not exactly six ASCII digits before comparing', () => {
    const secret = newTotpSecret()
    const at = 1_900_000_005_000
    const good = totpCode(secret, at)
    expect(good).toMatch(/^\d{6}$/)
    for (const bad of [
      '',
      good.slice(1),
      `${good}0`,
      ` ${good.slice(1)}`,
      '١٢٣٤٥٦',
      'abcdef',
      `${good.slice(0, 5)}é`,
    ]) {
      expect(matchTotpCode(secret, bad, at)).toBeUndefined()
    }
    expect(matchTotpCode(secret, good, at)).toBe(Math.floor(at / 30_000))
  })

  it('makes 160-bit base32 secrets and an otpauth:// URI with the parameters apps expect', () => {
    const secret = newTotpSecret()
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(newTotpSecret()).not.toBe(secret)
    const uri = new URL(totpUri(secret, 'alice', 'jwt-factory'))
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.searchParams.get('secret')).toBe(secret)
    expect(uri.searchParams.get('issuer')).toBe('jwt-factory')
    expect(uri.searchParams.get('digits')).toBe(String(TOTP_PARAMS.digits))
    expect(uri.searchParams.get('period')).toBe(String(TOTP_PARAMS.period))
    expect(decodeURIComponent(uri.pathname)).toContain('alice')
  })
})
