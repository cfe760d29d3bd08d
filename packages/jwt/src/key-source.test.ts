import { SignJWT } from 'jose'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeysUnavailableError } from './jose-errors.ts'
import { toJwks } from './jwks.ts'
import { remoteKeys } from './key-source.ts'
import { signToken } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { isKeysUnavailable, type VerifyError } from './verify-result.ts'
import { verifyToken } from './verify.ts'

const URL_ = 'https://jwt-factory.test/.well-known/jwks.json'
const claims = { iss: 'jwt-factory', aud: 'serviceb', sub: 'servicea' }

let es: SigningKey
let rs: SigningKey

beforeAll(async () => {
  ;[es, rs] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('RS256')])
})

/** A fetch that serves a JWKS from memory and counts its calls: no network. */
function servingJwks(body: () => unknown) {
  const calls: string[] = []
  const fetch = async (url: string, init: RequestInit) => {
    calls.push(url)
    expect(init.method).toBe('GET')
    const headers = { 'content-type': 'application/json' }
    return new Response(JSON.stringify(body()), { status: 200, headers })
  }
  return { fetch, calls }
}

const failure = (error: Partial<VerifyError>) => ({ valid: false, error, claims: {} })

describe('remoteKeys', () => {
  it('refuses an empty algorithm list at creation', () => {
    expect(() => remoteKeys(URL_, { algorithms: [] })).toThrow(
      new TypeError('remoteKeys: algorithms must not be empty'),
    )
  })

  it('verifies with a fetched JWKS, fetched once for many tokens', async () => {
    const served = servingJwks(() => toJwks([es, rs]))
    const keys = remoteKeys(URL_, { algorithms: ['ES256', 'RS256'], fetch: served.fetch })
    for (const key of [es, rs, es]) {
      const { token, claims: signed } = await signToken(key, claims, { ttlSeconds: 60 })
      expect(await verifyToken(token, keys, { issuer: claims.iss })).toEqual({
        valid: true,
        claims: signed,
      })
    }
    expect(served.calls).toEqual([URL_])
  })

  it('pins algorithms by configuration: RS256 is refused when only ES256 is allowed', async () => {
    const served = servingJwks(() => toJwks([es, rs]))
    const keys = remoteKeys(URL_, { algorithms: ['ES256'], fetch: served.fetch })
    const { token } = await signToken(rs, claims, { ttlSeconds: 60 })
    expect(await verifyToken(token, keys)).toMatchObject(
      failure({ message: 'invalid algorithm', code: 'ERR_JOSE_ALG_NOT_ALLOWED' }),
    )
  })

  it('alg none and HS256 (keyed with the public PEM): invalid algorithm', async () => {
    const served = servingJwks(() => toJwks([es, rs]))
    const keys = remoteKeys(URL_, { algorithms: ['ES256', 'RS256'], fetch: served.fetch })
    const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    const payload = { ...claims, iat: now, exp: now + 60 }
    const none = `${b64url({ alg: 'none', typ: 'JWT', kid: rs.kid })}.${b64url(payload)}.`
    const hs = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: rs.kid })
      .sign(new TextEncoder().encode(rs.publicPem))
    for (const token of [none, hs]) {
      // jose's key set refuses to select a key for either: no key is tried
      expect(await verifyToken(token, keys)).toEqual(
        failure({
          name: 'JsonWebTokenError',
          message: 'invalid algorithm',
          code: 'ERR_JOSE_ALG_NOT_ALLOWED',
          kid: rs.kid,
          typ: 'JWT',
          keys: `the JWKS at ${URL_}`,
        }),
      )
    }
  })

  it('an unknown kid: no key matches, naming the kid, the typ and the key set', async () => {
    const served = servingJwks(() => toJwks([es]))
    const options = { algorithms: ['ES256'] as const, fetch: served.fetch, cooldownMs: 60_000 }
    const keys = remoteKeys(URL_, { ...options, name: "servicea's keys at jwt-factory" })
    const stranger = await generateSigningKey('ES256')
    const { token } = await signToken(stranger, claims, { ttlSeconds: 60, typ: 'at+jwt' })
    expect(await verifyToken(token, keys)).toEqual(
      failure({
        name: 'JsonWebTokenError',
        message: 'no key matches the token',
        code: 'ERR_JWKS_NO_MATCHING_KEY',
        kid: stranger.kid,
        typ: 'at+jwt',
        keys: "servicea's keys at jwt-factory",
      }),
    )
  })

  it('a JWKS that is not a JWKS: signing keys unavailable, a keys-unavailable code', async () => {
    const served = servingJwks(() => ({ not: 'a jwks' }))
    const keys = remoteKeys(URL_, { algorithms: ['ES256'], fetch: served.fetch })
    const { token } = await signToken(es, claims, { ttlSeconds: 60 })
    const result = await verifyToken(token, keys)
    expect(result).toMatchObject(
      failure({
        message: `signing keys unavailable: the JWKS at ${URL_}`,
        code: 'ERR_JWKS_UNAVAILABLE',
        hop: 'jwt-factory.test',
      }),
    )
    expect(result.valid === false && isKeysUnavailable(result.error.code)).toBe(true)
  })

  it.each([
    ['a refused connection', () => Promise.reject(new TypeError('fetch failed'))],
    ['an HTTP 500', () => Promise.resolve(new Response('oops', { status: 500 }))],
    ['an answer that is not JSON', () => Promise.resolve(new Response('<html>', { status: 200 }))],
  ])('%s: signing keys unavailable, a keys-unavailable code', async (_label, fetch) => {
    const keys = remoteKeys(URL_, { algorithms: ['ES256'], fetch })
    const { token } = await signToken(es, claims, { ttlSeconds: 60 })
    const result = await verifyToken(token, keys)
    expect(result).toEqual(
      failure({
        name: 'JsonWebTokenError',
        message: `signing keys unavailable: the JWKS at ${URL_}`,
        code: 'ERR_JWKS_UNAVAILABLE',
        keys: `the JWKS at ${URL_}`,
        hop: 'jwt-factory.test',
      }),
    )
    expect(result.valid === false && isKeysUnavailable(result.error.code)).toBe(true)
  })

  // A KeySource's own contract, for whoever calls resolve: jose's error protocol, the URL, and
  // the fetch's failure as the cause.
  it('resolve rejects with a KeysUnavailableError naming the URL, the failure as its cause', async () => {
    const refused = new TypeError('fetch failed')
    const keys = remoteKeys(URL_, { algorithms: ['ES256'], fetch: () => Promise.reject(refused) })
    const error = await Promise.resolve(keys.resolve({ alg: 'ES256', kid: es.kid })).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(KeysUnavailableError)
    expect(error).toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE', message: URL_, cause: refused })
    expect(KeysUnavailableError.code).toBe('ERR_JWKS_UNAVAILABLE')
  })

  it('a JWKS endpoint that does not answer in time: signing keys unavailable', async () => {
    const hanging = (_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    const keys = remoteKeys(URL_, { algorithms: ['ES256'], fetch: hanging, timeoutMs: 50 })
    const { token } = await signToken(es, claims, { ttlSeconds: 60 })
    const result = await verifyToken(token, keys)
    expect(result).toMatchObject(
      failure({
        message: `signing keys unavailable: the JWKS at ${URL_}`,
        code: 'ERR_JWKS_TIMEOUT',
      }),
    )
    expect(result.valid === false && isKeysUnavailable(result.error.code)).toBe(true)
  })
})

describe("remoteKeys follows the server's Cache-Control max-age (a real server on loopback)", () => {
  let server: Server
  let url: string
  let served: {
    keys: SigningKey[]
    cacheControl: string | undefined
    status: number
    fetches: number
  }
  beforeAll(async () => {
    served = { keys: [], cacheControl: undefined, status: 200, fetches: 0 }
    server = createServer((_req, res) => {
      served.fetches++
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (served.cacheControl !== undefined) headers['cache-control'] = served.cacheControl
      res.writeHead(served.status, headers).end(JSON.stringify(toJwks(served.keys)))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  /** A retired key: published, its token verifies, then the set is served without it. */
  async function retirement(cacheControl: string | undefined, options = {}) {
    const retired = await generateSigningKey('ES256')
    served.keys = [retired]
    served.cacheControl = cacheControl
    served.status = 200
    served.fetches = 0
    let now = 1_000_000
    const keys = remoteKeys(url, { algorithms: ['ES256'], now: () => now, ...options })
    const { token } = await signToken(retired, claims, { ttlSeconds: 3600 })
    const resultAfter = (seconds: number) => {
      now = 1_000_000 + seconds * 1000
      return verifyToken(token, keys)
    }
    const verifiesAfter = async (seconds: number) => (await resultAfter(seconds)).valid
    expect(await verifiesAfter(0)).toBe(true)
    served.keys = [await generateSigningKey('ES256')]
    return { verifiesAfter, resultAfter, fetches: () => served.fetches }
  }

  // RFC 9111 §5.2: directives are comma-separated, in any order, a value may be quoted; a
  // directive that is not max-age, or a max-age that is not digits, leaves the default (600 s).
  it.each([
    ['max-age=300', 300],
    ['public,max-age=300', 300],
    ['public,  max-age=300 , must-revalidate', 300],
    ['MAX-AGE="300"', 300],
    ['max-age = 300', 300],
    ['s-maxage=300', 600],
    ['x-max-age=300', 600],
    ['max-age=300x', 600],
    ['max-age=', 600],
  ])('Cache-Control %j: the retired key verifies for %i s', async (cacheControl, seconds) => {
    const { verifiesAfter } = await retirement(cacheControl)
    expect(await verifiesAfter(seconds - 1)).toBe(true)
    expect(await verifiesAfter(seconds)).toBe(false)
  })

  it('a refresh that fails is tried again on the next request: it never extends the old set', async () => {
    const { resultAfter, verifiesAfter, fetches } = await retirement('max-age=300')
    served.status = 500
    expect(await resultAfter(300)).toMatchObject({ error: { code: 'ERR_JWKS_UNAVAILABLE' } })
    served.status = 200
    expect(await verifiesAfter(301)).toBe(false)
    expect(fetches()).toBe(3)
  })

  it('max-age=300: the retired key verifies until 300 s have passed, then it is refused', async () => {
    const { verifiesAfter, fetches } = await retirement('public, max-age=300')
    expect(await verifiesAfter(299)).toBe(true)
    expect(fetches()).toBe(1)
    expect(await verifiesAfter(300)).toBe(false)
    expect(fetches()).toBe(2)
  })

  it('no Cache-Control: the cacheMaxAgeMs option decides', async () => {
    const { verifiesAfter } = await retirement(undefined, { cacheMaxAgeMs: 60_000 })
    expect(await verifiesAfter(59)).toBe(true)
    expect(await verifiesAfter(60)).toBe(false)
  })

  it('a max-age above cacheMaxAgeMs is capped by it', async () => {
    const { verifiesAfter } = await retirement('max-age=86400', { cacheMaxAgeMs: 120_000 })
    expect(await verifiesAfter(119)).toBe(true)
    expect(await verifiesAfter(120)).toBe(false)
  })

  it('max-age=0 is held to the cooldown: never a fetch per request', async () => {
    const { verifiesAfter, fetches } = await retirement('no-cache, max-age=0', { cooldownMs: 5000 })
    for (let i = 0; i < 10; i++) expect(await verifiesAfter(4)).toBe(true)
    expect(fetches()).toBe(1)
    expect(await verifiesAfter(5)).toBe(false)
    expect(fetches()).toBe(2)
  })
})
