import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { z } from 'zod'

/**
 * scrypt parameters travel with each hash, so the defaults can be raised later and older hashes
 * keep verifying. N = 2^15, r = 8, p = 1 is OWASP's password storage recommendation (~32 MiB).
 */
export interface ScryptParams {
  N: number
  r: number
  p: number
  keyLength: number
}

export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({
  N: 2 ** 15,
  r: 8,
  p: 1,
  keyLength: 32,
})
const SALT_BYTES = 16

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')
const powerOfTwo = (n: number) => (n & (n - 1)) === 0

export const passwordHashSchema = z
  .object({
    algorithm: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 10)
      .max(2 ** 20)
      .refine(powerOfTwo, 'must be a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    keyLength: z.number().int().min(16).max(128),
    salt: base64,
    hash: base64,
  })
  .strict()

export type PasswordHash = z.output<typeof passwordHashSchema>

/**
 * Passwords are compared as NFC-normalised UTF-8 (RFC 8265 §4.2, the OpaqueString profile): the
 * same password typed on two keyboards that compose accents differently still matches.
 */
const passwordBytes = (password: string) => Buffer.from(password.normalize('NFC'), 'utf8')

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const { N, r, p, keyLength } = params
  // maxmem must exceed 128·N·r, or node refuses the very parameters it is asked to use.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r }
  return new Promise((resolve, reject) => {
    scrypt(passwordBytes(password), salt, keyLength, options, (err, key) => {
      if (err) reject(err)
      else resolve(key)
    })
  })
}

/** A new hash with a fresh random salt. Runs on libuv's thread pool, off the event loop. */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, params)
  return {
    algorithm: 'scrypt',
    ...params,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
  }
}

/** Constant-time comparison of the derived key with the stored one. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64')
  const salt = Buffer.from(stored.salt, 'base64')
  const actual = await derive(password, salt, { ...stored, keyLength: expected.length })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** Made once, on first use: what a name nobody registered is checked against. */
let dummyHash: Promise<PasswordHash> | undefined

/**
 * verifyPassword, or, when there is no stored hash (an unknown name), one scrypt run against a
 * dummy hash and false: the answer takes as long either way, so its time says nothing.
 */
export async function verifyPasswordOrDummy(
  password: string,
  stored: PasswordHash | undefined,
): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'))
  const matches = await verifyPassword(password, stored ?? (await dummyHash))
  return stored !== undefined && matches
}
