import { compactVerify, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { keyList } from './key-source.ts'
import { InvalidClaimsError, signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { MAX_JSON_DEPTH } from './sign.ts'
import { MAX_TOKEN_LENGTH, verifyToken } from './verify.ts'

let key: SigningKey
beforeAll(async () => {
  key = await generateSigningKey('ES256')
})

/** `{ a: { a: … 1 } }`, `levels` objects deep (the claims set itself is one more). */
function nested(levels: number): unknown {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}

const sign = (claims: Record<string, unknown>) =>
  signToken(key, { iss: 'i', sub: 's', aud: 'a', ...claims }, { ttlSeconds: 60 })

describe('signToken refuses claims verifyToken could not read', () => {
  it(`claims nested ${MAX_JSON_DEPTH} levels (the claims set included) are signed and verify`, async () => {
    const { token } = await sign({ deep: nested(MAX_JSON_DEPTH - 1) })
    expect((await verifyToken(token, keyList([key]))).valid).toBe(true)
  })

  it.each([MAX_JSON_DEPTH, 5_000, 100_000])(
    'claims nested %i levels below the claims set: InvalidClaimsError, never a RangeError',
    async (levels) => {
      const refused = sign({ deep: nested(levels) })
      await expect(refused).rejects.toThrow(InvalidClaimsError)
      await expect(refused).rejects.toMatchObject({
        name: 'InvalidClaimsError',
        code: 'ERR_INVALID_CLAIMS',
      })
    },
  )

  it("a token over MAX_TOKEN_LENGTH is signed: its length is the caller's to check", async () => {
    const { token } = await sign({ pad: 'x'.repeat(MAX_TOKEN_LENGTH) })
    expect(token.length).toBeGreaterThan(MAX_TOKEN_LENGTH)
  })

  it('claims that are not JSON: InvalidClaimsError', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(sign({ cyclic })).rejects.toThrow(InvalidClaimsError)
    await expect(sign({ big: 1n })).rejects.toThrow(InvalidClaimsError)
  })
})

describe('signToken: the token every algorithm makes', () => {
  // jose's own jwtVerify is the independent check here: ES256 and EdDSA are signed with
  // node:crypto directly, RS256 and PS256 through jose, and all must read the same.
  it.each(['ES256', 'EdDSA', 'RS256', 'PS256'] as const)(
    '%s: header { alg, kid, typ }, the claims as returned, verified by jose',
    async (alg) => {
      const signingKey = await generateSigningKey(alg)
      const { token, claims } = await signToken(
        signingKey,
        { iss: 'jwt-factory', sub: 'servicea', aud: 'serviceb', scope: ['read'] },
        { ttlSeconds: 60, typ: 'at+jwt' },
      )
      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: signingKey.kid, typ: 'at+jwt' })
      const { payload } = await jwtVerify(token, signingKey.publicKey, {
        algorithms: [alg],
        typ: 'at+jwt',
      })
      expect(payload).toEqual(claims)
      expect(claims).toMatchObject({
        iss: 'jwt-factory',
        sub: 'servicea',
        aud: 'serviceb',
        scope: ['read'],
        exp: claims.iat + 60,
      })
      const verified = await verifyToken(token, keyList([signingKey]), { typ: 'at+jwt' })
      expect(verified.valid).toBe(true)
    },
  )
})

describe('the synchronous signer (ES256, EdDSA through node:crypto) writes a standard JWS', () => {
  const claims = { iss: 'jwt-factory', sub: 'servicea', aud: 'serviceb', n: 'é' }

  it('EdDSA: byte for byte the token jose signs from the same header and claims', async () => {
    const ed = await generateSigningKey('EdDSA')
    const { token, claims: signed } = await signToken(ed, claims, { ttlSeconds: 60 })
    const header = decodeProtectedHeader(token)
    // Ed25519 is deterministic (RFC 8032): the same input gives the same signature.
    const byJose = await new SignJWT(signed)
      .setProtectedHeader(header as { alg: string })
      .sign(ed.privateKeyObject)
    expect(token).toBe(byJose)
  })

  it('ES256: the same signing input as jose, a 64-byte R‖S signature jose verifies', async () => {
    const { token, claims: signed } = await signToken(key, claims, { ttlSeconds: 60 })
    const header = decodeProtectedHeader(token)
    const byJose = await new SignJWT(signed)
      .setProtectedHeader(header as { alg: string })
      .sign(key.privateKeyObject)
    const input = (t: string) => t.split('.').slice(0, 2).join('.')
    expect(input(token)).toBe(input(byJose))
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64)
    const { payload } = await compactVerify(token, key.publicKey, { algorithms: ['ES256'] })
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(signed)
  })
})
