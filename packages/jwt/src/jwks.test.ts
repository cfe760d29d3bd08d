import { constants, createPublicKey, verify } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './algorithms.ts'
import { toJwks } from './jwks.ts'
import { signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

const keys = {} as Record<SigningAlgorithm, SigningKey>

beforeAll(async () => {
  for (const alg of SIGNING_ALGORITHMS) keys[alg] = await generateSigningKey(alg)
})

const asJson = (value: unknown) =>
  JSON.parse(JSON.stringify(value)) as { keys: Record<string, unknown>[] }
const decodePart = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString())
const encodePart = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Verifies a compact JWS with node:crypto and nothing else, as a foreign JWKS client would. */
function verifyWithNodeCrypto(token: string, jwk: Record<string, unknown>): boolean {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const data = Buffer.from(`${header}.${payload}`)
  const sig = Buffer.from(signature, 'base64url')
  const key = createPublicKey({ key: jwk, format: 'jwk' })
  switch (jwk.alg) {
    case 'ES256':
      return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
    case 'RS256':
      return verify('sha256', data, key, sig)
    case 'PS256':
      return verify(
        'sha256',
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        sig,
      )
    case 'EdDSA':
      return verify(null, data, key, sig)
    default:
      throw new Error(`unexpected alg ${String(jwk.alg)}`)
  }
}

describe('toJwks', () => {
  it('lists every key, in order, with kid, alg and use sig', () => {
    const jwks = toJwks(SIGNING_ALGORITHMS.map((alg) => keys[alg]))
    expect(jwks.keys.map((k) => [k.kid, k.alg, k.use])).toEqual(
      SIGNING_ALGORITHMS.map((alg) => [keys[alg].kid, alg, 'sig']),
    )
  })

  it('has no private member, also after JSON serialisation', () => {
    const json = asJson(toJwks(Object.values(keys)))
    expect(json.keys).toHaveLength(4)
    for (const jwk of json.keys) {
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member)
      expect(createPublicKey({ key: jwk, format: 'jwk' }).type).toBe('public')
    }
  })

  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['RS256', { kty: 'RSA', e: 'AQAB' }],
    ['PS256', { kty: 'RSA', e: 'AQAB' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ] as const)('%s key members', (alg, members) => {
    const [jwk] = toJwks([keys[alg]]).keys
    expect(jwk).toMatchObject(members)
  })

  it('accepts any iterable, and an empty one', () => {
    expect(toJwks(new Map([['a', keys.ES256]]).values()).keys).toHaveLength(1)
    expect(toJwks([])).toEqual({ keys: [] })
  })

  it.each(SIGNING_ALGORITHMS)('%s: a token verifies with node:crypto and the JWK', async (alg) => {
    const { token, claims } = await signToken(keys[alg], { sub: 'servicea' }, { ttlSeconds: 60 })
    const [h = '', p = '', s = ''] = token.split('.')
    const header = decodePart(h) as { kid: string }
    const jwk = asJson(toJwks([keys[alg]])).keys.find((k) => k.kid === header.kid)
    expect(jwk).toBeDefined()
    expect(verifyWithNodeCrypto(token, jwk ?? {})).toBe(true)
    expect(decodePart(p)).toEqual(claims)

    // and the same check refuses a changed payload, so it is not vacuous
    const forged = `${h}.${encodePart({ ...claims, sub: 'admin' })}.${s}`
    expect(verifyWithNodeCrypto(forged, jwk ?? {})).toBe(false)
  })

  it("another key's JWK does not verify the token", async () => {
    const { token } = await signToken(keys.ES256, { sub: 'x' }, { ttlSeconds: 60 })
    const other = toJwks([await generateSigningKey('ES256')]).keys[0]
    expect(verifyWithNodeCrypto(token, { ...other })).toBe(false)
  })
})
