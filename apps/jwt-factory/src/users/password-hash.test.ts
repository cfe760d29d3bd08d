import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  passwordHashSchema,
  verifyPassword,
} from './password-hash.ts'

describe('password hashes (scrypt)', () => {
  it('stores the parameters and a random salt with each hash, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery')
    const b = await hashPassword('correct horse battery')
    expect(passwordHashSchema.parse(a)).toEqual(a)
    expect(a).toMatchObject({ algorithm: 'scrypt', ...DEFAULT_SCRYPT_PARAMS })
    expect(Buffer.from(a.salt, 'base64')).toHaveLength(16)
    expect(a.salt).not.toBe(b.salt)
    expect(a.hash).not.toBe(b.hash)
    expect(await verifyPassword('correct horse battery', a)).toBe(true)
    expect(await verifyPassword('correct horse batterY', a)).toBe(false)
    expect(await verifyPassword('', a)).toBe(false)
  })

  it('keeps verifying hashes made with other parameters (they travel with the hash)', async () => {
    const cheap = await hashPassword('older password', { N: 2 ** 12, r: 8, p: 1, keyLength: 64 })
    expect(cheap).toMatchObject({ N: 4096, keyLength: 64 })
    expect(Buffer.from(cheap.hash, 'base64')).toHaveLength(64)
    expect(await verifyPassword('older password', cheap)).toBe(true)
    expect(await verifyPassword('older passworD', cheap)).toBe(false)
  })

  it('compares Unicode passwords in NFC (RFC 8265 OpaqueString)', async () => {
    const composed = 'caf\u00e9-password'
    const decomposed = 'cafe\u0301-password'
    const hash = await hashPassword(composed)
    expect(await verifyPassword(decomposed, hash)).toBe(true)
  })

  it('refuses parameters scrypt cannot use', () => {
    const good = {
      algorithm: 'scrypt',
      N: 16384,
      r: 8,
      p: 1,
      keyLength: 32,
      salt: 'AAAA',
      hash: 'AAAA',
    }
    expect(passwordHashSchema.safeParse(good).success).toBe(true)
    expect(passwordHashSchema.safeParse({ ...good, N: 10000 }).success).toBe(false)
    expect(passwordHashSchema.safeParse({ ...good, algorithm: 'md5' }).success).toBe(false)
    expect(passwordHashSchema.safeParse({ ...good, salt: 'not base64!' }).success).toBe(false)
  })
})
