import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto'
import { decodeProtectedHeader, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { KeyImportError, SIGNING_ALGORITHMS, type SigningAlgorithm } from './algorithms.ts'
import { keyList } from './key-source.ts'
import { signToken } from './sign.ts'
import {
  generateSigningKey,
  signingKeyFromPem,
  verificationKeyFromPem,
  type SigningKey,
} from './signing-key.ts'
import { verifyToken } from './verify.ts'

const expected = { issuer: 'jwt-factory', audience: 'serviceb', subject: 'servicea' }
const claims = { iss: expected.issuer, aud: expected.audience, sub: expected.subject }

/** RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. */
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
}

/** The RFC 7638 thumbprint computed with node:crypto alone, not with jose. */
function independentThumbprint(jwk: JWK): string {
  const members = REQUIRED_MEMBERS[String(jwk.kty)]
  if (!members) throw new Error(`unexpected kty ${jwk.kty}`)
  const value = (m: string) => JSON.stringify((jwk as Record<string, unknown>)[m])
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${value(m)}`).join(',')}}`
  return createHash('sha256').update(canonical).digest('base64url')
}

const pemOf = (label: string, body: string) =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`

const publicJwkOf = (pem: string) => createPublicKey(pem).export({ format: 'jwk' }) as JWK

async function expectSignsAndVerifies(key: SigningKey) {
  const { token, claims: signed } = await signToken(key, claims, { ttlSeconds: 60 })
  const result = await verifyToken(token, keyList([key]), expected)
  expect(result).toEqual({ valid: true, claims: signed })
  return token
}

const keys = {} as Record<SigningAlgorithm, SigningKey>

beforeAll(async () => {
  for (const alg of SIGNING_ALGORITHMS) keys[alg] = await generateSigningKey(alg)
})

describe('generateSigningKey', () => {
  it.each(SIGNING_ALGORITHMS)('%s: signs a verifiable token; header alg, kid, typ', async (alg) => {
    const key = keys[alg]
    expect(key.alg).toBe(alg)
    const token = await expectSignsAndVerifies(key)
    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: key.kid, typ: 'JWT' })
  })

  it.each(SIGNING_ALGORITHMS)('%s: kid is the RFC 7638 SHA-256 thumbprint', (alg) => {
    const key = keys[alg]
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key.kid).toBe(independentThumbprint(publicJwkOf(key.publicPem)))
    expect(key.publicJwk.kid).toBe(key.kid)
  })

  it.each([
    ['ES256', 'ec', { namedCurve: 'prime256v1' }],
    ['RS256', 'rsa', { modulusLength: 2048 }],
    ['PS256', 'rsa', { modulusLength: 2048 }],
    ['EdDSA', 'ed25519', {}],
  ] as const)('%s: makes a %s key %o', (alg, type, details) => {
    const key = keys[alg]
    const privateKey = createPrivateKey(key.privatePem)
    expect(privateKey.asymmetricKeyType).toBe(type)
    expect(privateKey.asymmetricKeyDetails).toMatchObject(details)
    expect(key.privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(key.publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    // the two PEMs are one key pair
    expect(createPublicKey(privateKey).export({ format: 'pem', type: 'spki' })).toBe(key.publicPem)
  })

  it('makes a new key every time', async () => {
    const again = await generateSigningKey('ES256')
    expect(again.kid).not.toBe(keys.ES256.kid)
  })

  it('reading a key back from its PEM gives the same kid and algorithm', async () => {
    for (const alg of SIGNING_ALGORITHMS) {
      const reread = await signingKeyFromPem(keys[alg].privatePem, alg)
      expect({ kid: reread.kid, alg: reread.alg }).toEqual({ kid: keys[alg].kid, alg })
      const token = await expectSignsAndVerifies(reread)
      // a token from the re-read key verifies with the original key
      expect((await verifyToken(token, keyList([keys[alg]]), expected)).valid).toBe(true)
    }
  })
})

describe('RFC 7638 §3.1 example', () => {
  const example = {
    kty: 'RSA',
    n: [
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo',
      'c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y',
      'GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr',
      'dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    ].join(''),
    e: 'AQAB',
    alg: 'RS256',
    kid: '2011-04-29',
  }
  const thumbprint = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'

  it('the independent computation gives the RFC value', () => {
    expect(independentThumbprint(example)).toBe(thumbprint)
  })

  it('verificationKeyFromPem names the key with the RFC value', async () => {
    const spki = createPublicKey({ key: example, format: 'jwk' })
      .export({ format: 'pem', type: 'spki' })
      .toString()
    const key = await verificationKeyFromPem(spki, 'RS256')
    expect(key.kid).toBe(thumbprint)
    expect(key.publicJwk).toEqual({
      kty: 'RSA',
      n: example.n,
      e: 'AQAB',
      kid: thumbprint,
      alg: 'RS256',
      use: 'sig',
    })
  })
})

describe('signingKeyFromPem', () => {
  let rsa: KeyObject
  let ec: KeyObject

  beforeAll(() => {
    rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  })

  it('reads PKCS#1 RSA (the original demo), signs RS256 even when ES256 is preferred', async () => {
    const pem = rsa.export({ format: 'pem', type: 'pkcs1' }).toString()
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/)
    const key = await signingKeyFromPem(pem, 'ES256')
    expect(key.alg).toBe('RS256')
    expect(key.privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----/) // persisted as PKCS#8
    expect(key.kid).toBe(independentThumbprint(rsa.export({ format: 'jwk' }) as JWK))
    const token = await expectSignsAndVerifies(key)
    expect(decodeProtectedHeader(token).alg).toBe('RS256')
  })

  it('reads PKCS#8 RSA and signs PS256 when PS256 is preferred', async () => {
    const pem = rsa.export({ format: 'pem', type: 'pkcs8' }).toString()
    const key = await signingKeyFromPem(pem, 'PS256')
    expect(key.alg).toBe('PS256')
    const token = await expectSignsAndVerifies(key)
    expect(decodeProtectedHeader(token).alg).toBe('PS256')
  })

  it('RS256 and PS256 keys from one RSA key share a kid but not an algorithm', async () => {
    const pem = rsa.export({ format: 'pem', type: 'pkcs8' }).toString()
    const rs = await signingKeyFromPem(pem, 'RS256')
    const ps = await signingKeyFromPem(pem, 'PS256')
    expect(rs.kid).toBe(ps.kid)
    const { token } = await signToken(rs, claims, { ttlSeconds: 60 })
    const result = await verifyToken(token, keyList([ps]), expected)
    expect(result).toMatchObject({ valid: false, error: { message: 'invalid algorithm' } })
  })

  it('reads SEC1 EC and signs ES256 whatever is preferred', async () => {
    const pem = ec.export({ format: 'pem', type: 'sec1' }).toString()
    expect(pem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/)
    const key = await signingKeyFromPem(pem, 'RS256')
    expect(key.alg).toBe('ES256')
    const token = await expectSignsAndVerifies(key)
    expect(decodeProtectedHeader(token).alg).toBe('ES256')
  })

  it('reads PKCS#8 Ed25519 as EdDSA', async () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const key = await signingKeyFromPem(pem, 'ES256')
    expect(key.alg).toBe('EdDSA')
    await expectSignsAndVerifies(key)
  })

  it('refuses a 1024-bit RSA key', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    const pem = small.export({ format: 'pem', type: 'pkcs1' }).toString()
    const err = await signingKeyFromPem(pem, 'RS256').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyImportError)
    expect(err).toMatchObject({ name: 'KeyImportError', code: 'ERR_KEY_IMPORT' })
    expect((err as Error).message).toMatch(/1024 bits refused/)
  })

  it('refuses an EC key on another curve than P-256', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
    const pem = p384.export({ format: 'pem', type: 'pkcs8' }).toString()
    await expect(signingKeyFromPem(pem, 'ES256')).rejects.toThrow(KeyImportError)
  })

  it('refuses a key type it does not sign with (X25519)', async () => {
    const { privateKey } = generateKeyPairSync('x25519')
    const x = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    await expect(signingKeyFromPem(x, 'EdDSA')).rejects.toThrow(/key type x25519 is not supported/)
  })

  it.each([
    ['garbage', 'not a pem at all'],
    ['an empty string', ''],
    ['a truncated PEM', pemOf('PRIVATE KEY', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')],
  ])('refuses %s with KeyImportError', async (_label, pem) => {
    const err = await signingKeyFromPem(pem, 'ES256').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyImportError)
    expect(err).toMatchObject({ message: 'not a readable private key PEM', code: 'ERR_KEY_IMPORT' })
    expect((err as Error).cause).toBeInstanceOf(Error)
  })

  it('refuses a public key PEM', async () => {
    await expect(signingKeyFromPem(keys.ES256.publicPem, 'ES256')).rejects.toThrow(KeyImportError)
  })
})

describe('verificationKeyFromPem', () => {
  it.each(SIGNING_ALGORITHMS)("%s: an SPKI PEM verifies the key's tokens", async (alg) => {
    const key = keys[alg]
    const verifier = await verificationKeyFromPem(key.publicPem, alg)
    expect({ kid: verifier.kid, alg: verifier.alg }).toEqual({ kid: key.kid, alg })
    expect(verifier).not.toHaveProperty('privateKey')
    expect(verifier).not.toHaveProperty('privatePem')
    const { token, claims: signed } = await signToken(key, claims, { ttlSeconds: 60 })
    const result = await verifyToken(token, keyList([verifier]), expected)
    expect(result).toEqual({ valid: true, claims: signed })
  })

  it('reads a PKCS#1 RSA public key', async () => {
    const publicKey = createPublicKey(keys.RS256.publicPem)
    const pkcs1 = publicKey.export({ format: 'pem', type: 'pkcs1' }).toString()
    expect(pkcs1).toMatch(/^-----BEGIN RSA PUBLIC KEY-----/)
    const verifier = await verificationKeyFromPem(pkcs1, 'ES256')
    expect(verifier.alg).toBe('RS256')
    expect(verifier.kid).toBe(keys.RS256.kid)
    expect(verifier.publicPem).toBe(keys.RS256.publicPem) // normalised to SPKI
    const { token } = await signToken(keys.RS256, claims, { ttlSeconds: 60 })
    expect((await verifyToken(token, keyList([verifier]), expected)).valid).toBe(true)
  })

  it('refuses a 1024-bit RSA public key', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    const pem = small.export({ format: 'pem', type: 'spki' }).toString()
    await expect(verificationKeyFromPem(pem, 'RS256')).rejects.toThrow(KeyImportError)
  })

  it('refuses garbage with KeyImportError', async () => {
    const pem = pemOf('PUBLIC KEY', 'AAAA')
    const err = await verificationKeyFromPem(pem, 'ES256').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyImportError)
    expect(err).toMatchObject({ message: 'not a readable public key PEM' })
  })
})
