import { createPublicKey, verify } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ES256_SIGNATURE_BYTES,
  flipS,
  isCanonicalEs256Signature,
  isLowS,
  P256_ORDER,
  signatureS,
  toLowS,
} from './ecdsa-signature.ts'
import { keyList } from './key-source.ts'
import { signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { flipS as flipTokenS, hasLowS, splitToken } from './testing/forge.ts'
import { verifyToken } from './verify.ts'

const claims = { iss: 'jwt-factory', aud: 'serviceb', sub: 'servicea' }
const expected = { issuer: claims.iss, audience: claims.aud, subject: claims.sub }
const HALF = P256_ORDER >> 1n

const bytes = (r: bigint, s: bigint) =>
  Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex')

/** Verifies a compact ES256 token with node:crypto alone: the mathematics, no policy. */
function nodeVerifies(token: string, key: SigningKey): boolean {
  const { signingInput, signature } = splitToken(token)
  const publicKey = createPublicKey(key.publicPem)
  return verify(
    'sha256',
    Buffer.from(signingInput),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    signature,
  )
}

let key: SigningKey
beforeAll(async () => {
  key = await generateSigningKey('ES256')
})

describe('ES256 signature form', () => {
  it('n is the order of P-256', () => {
    expect(P256_ORDER.toString(16)).toBe(
      'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
    )
    expect(ES256_SIGNATURE_BYTES).toBe(64)
  })

  it.each([
    ['s = n/2 (the largest low S)', bytes(1n, HALF), true],
    ['s = n/2 + 1', bytes(1n, HALF + 1n), false],
    ['s = 1', bytes(1n, 1n), true],
    ['s = 0', bytes(1n, 0n), false],
    ['r = 0', bytes(0n, 1n), false],
    ['r = n', bytes(P256_ORDER, 1n), false],
    ['r = n - 1', bytes(P256_ORDER - 1n, 1n), true],
    ['63 bytes', Buffer.alloc(63, 1), false],
    ['65 bytes', Buffer.alloc(65, 1), false],
    ['empty', Buffer.alloc(0), false],
  ])('%s: canonical %s', (_label, signature, canonical) => {
    expect(isCanonicalEs256Signature(signature)).toBe(canonical)
  })

  it('toLowS keeps a low S and replaces a high S by n − s', () => {
    const low = bytes(5n, 7n)
    expect(toLowS(low)).toBe(low)
    const high = bytes(5n, P256_ORDER - 7n)
    expect(Buffer.from(toLowS(high))).toEqual(low)
    expect(Buffer.from(flipS(low))).toEqual(high)
    expect(signatureS(flipS(high))).toBe(7n)
    expect(isLowS(high)).toBe(false)
    expect(() => toLowS(Buffer.alloc(63))).toThrow(TypeError)
  })
})

describe('signToken and verifyToken: one spelling per ES256 token', () => {
  it('200 tokens from signToken are all low-S, and all verify', async () => {
    const keys = keyList([key])
    for (let i = 0; i < 200; i++) {
      const { token } = await signToken(key, claims, { ttlSeconds: 60 })
      expect(hasLowS(token)).toBe(true)
      expect(isCanonicalEs256Signature(splitToken(token).signature)).toBe(true)
      if (i % 20 === 0) expect((await verifyToken(token, keys, expected)).valid).toBe(true)
    }
  })

  it('a token re-signed as (r, n − s) verifies with node:crypto but is refused by verifyToken', async () => {
    const { token } = await signToken(key, claims, { ttlSeconds: 60 })
    const twin = flipTokenS(token)
    expect(twin).not.toBe(token)
    expect(nodeVerifies(token, key)).toBe(true)
    expect(nodeVerifies(twin, key)).toBe(true)
    expect(await verifyToken(twin, keyList([key]), expected)).toEqual({
      valid: false,
      error: {
        name: 'JsonWebTokenError',
        message: 'invalid signature',
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      },
      claims: {},
    })
  })

  it.each([63, 65])('a %i-byte signature is refused as an invalid signature', async (length) => {
    const { token } = await signToken(key, claims, { ttlSeconds: 60 })
    const { segments, signature } = splitToken(token)
    const resized =
      length < 64
        ? signature.subarray(0, length)
        : Buffer.concat([signature, Buffer.alloc(length - 64)])
    const result = await verifyToken(
      `${segments[0]}.${segments[1]}.${resized.toString('base64url')}`,
      keyList([key]),
      expected,
    )
    expect(result).toMatchObject({
      valid: false,
      error: { name: 'JsonWebTokenError', message: 'invalid signature' },
    })
  })

  it('the check is for ES256 only: other algorithms are not touched', async () => {
    const ed = await generateSigningKey('EdDSA')
    const { token } = await signToken(ed, claims, { ttlSeconds: 60 })
    expect((await verifyToken(token, keyList([ed]), expected)).valid).toBe(true)
  })
})
