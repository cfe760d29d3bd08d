import { createPublicKey, verify, type JsonWebKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  cleanUp,
  eventually,
  postJson,
  startFactory,
  type FactoryProcess,
} from './factory-process.ts'
import { splitToken } from './token-parts.ts'

/**
 * What a relying party with nothing but the public JWKS can do: verify a factory token with
 * node:crypto alone. One factory per algorithm, started together.
 */
const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const
type Algorithm = (typeof ALGORITHMS)[number]

/** Members that only a private JWK has (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2; oct's k). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const KTY: Record<Algorithm, string> = { ES256: 'EC', RS256: 'RSA', EdDSA: 'OKP' }

const factories = new Map<Algorithm, FactoryProcess>()
const issued: string[] = []

beforeAll(async () => {
  const started = await Promise.all(
    ALGORITHMS.map((alg) => startFactory({ env: { ALGORITHM: alg } })),
  )
  ALGORITHMS.forEach((alg, i) => factories.set(alg, started[i] as FactoryProcess))
})

afterAll(async () => {
  await cleanUp()
})

function factoryFor(alg: Algorithm): FactoryProcess {
  const factory = factories.get(alg)
  if (!factory) throw new Error(`no factory for ${alg}`)
  return factory
}

async function issueToken(factory: FactoryProcess): Promise<string> {
  expect((await call(`${factory.url}/keys/servicea`)).status).toBe(201)
  const res = await postJson(
    `${factory.url}/issueToken/servicea`,
    { aud: 'serviceb' },
    { accept: 'application/json' },
  )
  expect(res.status).toBe(200)
  const token = (res.json as { access_token: string }).access_token
  issued.push(token)
  return token
}

/** Verifies with node:crypto only: the JWK from the JWKS, the signature over `header.payload`. */
function verifyWithJwk(alg: Algorithm, jwk: JsonWebKey, input: Buffer, signature: Buffer): boolean {
  const key = createPublicKey({ key: jwk, format: 'jwk' })
  // JWS ECDSA signatures are r || s (RFC 7518 §3.4), not DER.
  if (alg === 'ES256') return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)
  if (alg === 'RS256') return verify('sha256', input, key, signature)
  return verify(null, input, key, signature)
}

describe.each(ALGORITHMS)('a %s factory', (alg) => {
  it('issues tokens that verify with only the public JWKS, through node:crypto', async () => {
    const factory = factoryFor(alg)
    const token = await issueToken(factory)
    const { header, payload, signingInput, signature } = splitToken(token)
    expect(header).toMatchObject({ alg, typ: 'JWT' })
    expect(payload).toMatchObject({ sub: 'servicea', aud: 'serviceb' })

    const jwks = await call(`${factory.url}/.well-known/jwks.json`)
    expect(jwks.status).toBe(200)
    const keys = (jwks.json as { keys: (JsonWebKey & { kid: string })[] }).keys
    const jwk = keys.find((k) => k.kid === header.kid)
    if (!jwk) throw new Error(`no JWK with kid ${String(header.kid)} in ${jwks.text}`)
    expect(jwk).toMatchObject({ kty: KTY[alg], alg, use: 'sig' })

    expect(verifyWithJwk(alg, jwk, signingInput, signature)).toBe(true)
    // The same check refuses a token whose payload was changed after signing.
    const [encodedHeader] = signingInput.toString().split('.')
    const forgedPayload = Buffer.from(JSON.stringify({ ...payload, sub: 'admin' })).toString(
      'base64url',
    )
    const forged = Buffer.from(`${encodedHeader}.${forgedPayload}`)
    expect(verifyWithJwk(alg, jwk, forged, signature)).toBe(false)
  })

  it('publishes a cacheable JWKS without private members', async () => {
    const res = await call(`${factoryFor(alg).url}/.well-known/jwks.json`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const maxAge = /(?:^|[\s,])max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')
    expect(Number(maxAge?.[1])).toBeGreaterThan(0)
    const keys = (res.json as { keys: Record<string, unknown>[] }).keys
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member)
    }
  })

  it('serves discovery: the issuer of its tokens and a working jwks_uri', async () => {
    const factory = factoryFor(alg)
    expect([200, 201]).toContain((await call(`${factory.url}/keys/servicea`)).status)
    const res = await call(`${factory.url}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    const discovery = res.json as { issuer: string; jwks_uri: string }
    const token = await postJson(`${factory.url}/issueToken/servicea`, {})
    issued.push(token.text)
    expect(discovery.issuer).toBe(splitToken(token.text).payload.iss)
    expect(discovery.jwks_uri).toBe(`${factory.url}/.well-known/jwks.json`)
    const jwks = await call(discovery.jwks_uri)
    expect(jwks.status).toBe(200)
    expect((jwks.json as { keys: unknown[] }).keys.length).toBeGreaterThan(0)
  })
})

describe('logs of the three factories', () => {
  it('never contain a whole token nor a private key', async () => {
    const all = ALGORITHMS.map((alg) => factoryFor(alg))
    await eventually(() => all.every((f) => f.stdout().includes('"path":"/issueToken/servicea"')))
    const text = all.map((f) => f.stdout()).join('\n')
    expect(issued.length).toBeGreaterThanOrEqual(ALGORITHMS.length * 2)
    for (const token of issued) expect(text).not.toContain(token)
    expect(text).not.toContain('PRIVATE KEY')
  })
})
