import { generateKeyPairSync } from 'node:crypto'
import { generateSigningKey, KeyImportError } from '@jwt-factory/jwt'
import { describe, expect, it } from 'vitest'
import { publicJwkFromPem, publicJwksFromJwksText } from './client-keys.ts'
import { clientSchema } from './client-record.ts'

const jwksText = (keys: unknown[]) => JSON.stringify({ keys })

describe("a client's public keys", () => {
  it('keeps a JWKS as public JWKs with their kid and algorithm, each one the factory can verify with', async () => {
    const ec = await generateSigningKey('ES256')
    const ed = await generateSigningKey('EdDSA')
    const keys = await publicJwksFromJwksText(
      jwksText([{ ...ec.publicJwk, kid: 'client-key-1' }, ed.publicJwk]),
    )
    expect(keys).toEqual([
      {
        kty: 'EC',
        crv: 'P-256',
        x: ec.publicJwk.x,
        y: ec.publicJwk.y,
        kid: 'client-key-1',
        alg: 'ES256',
        use: 'sig',
      },
      { kty: 'OKP', crv: 'Ed25519', x: ed.publicJwk.x, kid: ed.kid, alg: 'EdDSA', use: 'sig' },
    ])
    const record = { name: 'servicea', keys, createdAt: new Date(0).toISOString() }
    expect(clientSchema.parse(record)).toEqual(record)
  })

  it('takes one public key PEM, its kid the RFC 7638 thumbprint; PS256 stays PS256', async () => {
    const rsa = await generateSigningKey('PS256')
    expect(await publicJwkFromPem(rsa.publicPem)).toMatchObject({
      kty: 'RSA',
      kid: rsa.kid,
      alg: 'RS256',
    })
    const [jwk] = await publicJwksFromJwksText(jwksText([rsa.publicJwk]))
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'PS256', n: rsa.publicJwk.n })
  })

  it('refuses a private key, a small RSA key, another curve, a symmetric key and what is no JWKS', async () => {
    const ec = await generateSigningKey('ES256')
    const privateJwk = ec.privateKeyObject.export({ format: 'jwk' })
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'jwk',
    })
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({
      format: 'jwk',
    })
    const refusals: [string, RegExp][] = [
      [jwksText([privateJwk]), /private or secret key/],
      [jwksText([{ kty: 'oct', k: 'c2VjcmV0' }]), /private or secret key/],
      [jwksText([small]), /1024 bits refused/],
      [jwksText([p384]), /ES256 needs P-256/],
      [jwksText([{ kty: 'EC', crv: 'P-256', x: 'nope' }]), /not a readable public JWK/],
      [jwksText([]), /non-empty "keys"/],
      ['{"kty":"EC"}', /non-empty "keys"/],
      ['not json', /not valid JSON/],
    ]
    for (const [text, message] of refusals) {
      const err = await publicJwksFromJwksText(text).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KeyImportError)
      expect((err as Error).message).toMatch(message)
    }
    await expect(
      publicJwkFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'),
    ).rejects.toThrow(KeyImportError)
  })
})
