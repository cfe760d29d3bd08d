import { createPublicKey, verify } from 'node:crypto'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ES256_SIGNATURE_BYTES, P256_ORDER, toLowS } from './ecdsa-signature.ts'
import { keyList } from './key-source.ts'
import { signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { flipS, hasLowS, splitToken } from './forge.ts'
import { opensslEs256Tokens } from './testing/openssl-signer.ts'
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

  it('toLowS keeps a low S (s = n/2 included) and replaces a high S by n − s', () => {
    const low = bytes(5n, 7n)
    expect(toLowS(low)).toBe(low)
    expect(toLowS(bytes(1n, HALF))).toEqual(bytes(1n, HALF))
    expect(Buffer.from(toLowS(bytes(1n, HALF + 1n)))).toEqual(bytes(1n, P256_ORDER - HALF - 1n))
    expect(Buffer.from(toLowS(bytes(5n, P256_ORDER - 7n)))).toEqual(low)
    expect(() => toLowS(Buffer.alloc(63))).toThrow(TypeError)
  })

  it('toLowS on bytes agrees with n − s in BigInt for any s, borrows across every byte included', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: P256_ORDER - 1n }), (s) => {
        const expectedS = s > HALF ? P256_ORDER - s : s
        expect(Buffer.from(toLowS(bytes(9n, s)))).toEqual(bytes(9n, expectedS))
      }),
      { numRuns: 2000 },
    )
    for (const s of [P256_ORDER - 1n, HALF + 1n, HALF + 256n, P256_ORDER - 2n ** 64n]) {
      expect(Buffer.from(toLowS(bytes(9n, s)))).toEqual(bytes(9n, P256_ORDER - s))
    }
  })
})

describe('signToken writes low-S; verifyToken accepts both forms (RFC 7518 §3.4)', () => {
  it('200 tokens from signToken are all low-S, and all verify', async () => {
    const keys = keyList([key])
    for (let i = 0; i < 200; i++) {
      const { token } = await signToken(key, claims, { ttlSeconds: 60 })
      expect(hasLowS(token)).toBe(true)
      if (i % 20 === 0) expect((await verifyToken(token, keys, expected)).valid).toBe(true)
    }
  })

  it('the high-S twin (r, n − s) of a valid token verifies too, with the same claims', async () => {
    const { token } = await signToken(key, claims, { ttlSeconds: 60 })
    const twin = flipS(token)
    expect(twin).not.toBe(token)
    expect(hasLowS(twin)).toBe(false)
    expect(nodeVerifies(twin, key)).toBe(true)
    const [original, flipped] = await Promise.all(
      [token, twin].map((t) => verifyToken(t, keyList([key]), expected)),
    )
    expect(flipped).toEqual(original)
    expect(flipped?.valid).toBe(true)
  })

  it('40 tokens signed by the openssl command (high and low S, as it comes) all verify', async () => {
    const now = Math.floor(Date.now() / 1000)
    const payloads = Array.from({ length: 40 }, (_, i) => ({
      ...claims,
      iat: now,
      exp: now + 60,
      jti: `openssl-${i}`,
    }))
    const header = { alg: 'ES256', kid: key.kid, typ: 'JWT' }
    const tokens = opensslEs256Tokens(key.privatePem, header, payloads)
    // 2^-40 that openssl gave 40 of one form: both are really tried.
    expect(tokens.some(hasLowS)).toBe(true)
    expect(tokens.some((t) => !hasLowS(t))).toBe(true)
    for (const token of tokens) {
      expect(await verifyToken(token, keyList([key]), expected)).toMatchObject({ valid: true })
    }
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
})
