import { beforeAll, describe, expect, it } from 'vitest'
import { keyList } from './key-source.ts'
import { InvalidClaimsError, signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { MAX_JSON_DEPTH } from './strict-json.ts'
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

const sign = (claims: Record<string, unknown>) => signToken(key, { iss: 'i', sub: 's', aud: 'a', ...claims }, { ttlSeconds: 60 })

describe('signToken refuses claims verifyToken could not read', () => {
  it(`claims nested ${MAX_JSON_DEPTH} levels (the claims set included) are signed and verify`, async () => {
    const { token } = await sign({ deep: nested(MAX_JSON_DEPTH - 1) })
    expect((await verifyToken(token, keyList([key]))).valid).toBe(true)
  })

  it.each([MAX_JSON_DEPTH, 5_000, 100_000])('claims nested %i levels below the claims set: InvalidClaimsError, never a RangeError', async (levels) => {
    const refused = sign({ deep: nested(levels) })
    await expect(refused).rejects.toThrow(InvalidClaimsError)
    await expect(refused).rejects.toMatchObject({ name: 'InvalidClaimsError', code: 'ERR_INVALID_CLAIMS' })
  })

  it('a token over MAX_TOKEN_LENGTH is signed: its length is the caller\'s to check', async () => {
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
