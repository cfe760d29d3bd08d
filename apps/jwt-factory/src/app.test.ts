import { afterEach, describe, expect, it } from 'vitest'
import { activeRouterName } from '@jwt-factory/server/testing'
import { createTestFactory, jsonPost } from './test-support.ts'

type TestFactory = Awaited<ReturnType<typeof createTestFactory>>
let factory: TestFactory
afterEach(() => factory?.cleanup())

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
const headerOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())

async function issue(
  app: TestFactory['app'],
  keyId: string,
  body: unknown = { aud: 'serviceb' },
  query = '',
) {
  const res = await app.request(`/issueToken/${keyId}${query}`, jsonPost(body))
  expect(res.status).toBe(200)
  return res.text()
}

async function verify(
  app: TestFactory['app'],
  keyId: string,
  token: string,
  aud = 'serviceb',
  sub = 'servicea',
) {
  const res = await app.request(`/verify/${keyId}`, jsonPost({ token, aud, sub }))
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

describe('factory routes', () => {
  it('creates a key once: 201 then 200 with the same kid, publicKey is base64 PEM', async () => {
    factory = await createTestFactory()
    const first = await factory.app.request('/keys/servicea')
    expect(first.status).toBe(201)
    const created = (await first.json()) as Record<string, string>
    expect(created).toMatchObject({ keyId: 'servicea', alg: 'ES256' })
    expect(Buffer.from(created.publicKey!, 'base64').toString()).toMatch(
      /^-----BEGIN PUBLIC KEY-----/,
    )
    const second = await factory.app.request('/keys/servicea')
    expect(second.status).toBe(200)
    expect(((await second.json()) as Record<string, string>).kid).toBe(created.kid)
  })

  it('issues a token with the defaults and verifies it', async () => {
    factory = await createTestFactory()
    await factory.app.request('/keys/servicea')
    const token = await issue(factory.app, 'servicea')
    const header = headerOf(token)
    expect(header).toEqual({
      alg: 'ES256',
      kid: factory.keyStore.get('servicea')!.active.kid,
      typ: 'JWT',
    })
    const claims = claimsOf(token)
    expect(claims).toMatchObject({
      iss: 'https://localhost:5443',
      sub: 'servicea',
      aud: 'serviceb',
    })
    expect(claims.exp - claims.iat).toBe(3600)
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/)
    const { status, body } = await verify(factory.app, 'servicea', token)
    expect(status).toBe(200)
    expect(body).toEqual({ valid: true, claims })
  })

  it('answers JSON to Accept: application/json, and honours X-Expire-Seconds up to the cap', async () => {
    factory = await createTestFactory({ MAX_TOKEN_TTL_SECONDS: '600', TOKEN_TTL_SECONDS: '60' })
    await factory.app.request('/keys/servicea')
    const res = await factory.app.request(
      '/issueToken/servicea',
      jsonPost({ aud: 'x' }, { accept: 'application/json', 'x-expire-seconds': '9999' }),
    )
    const body = (await res.json()) as Record<string, any>
    expect(body.token_type).toBe('Bearer')
    expect(body.expires_in).toBe(600)
    const claims = claimsOf(body.access_token)
    expect(claims.exp - claims.iat).toBe(600)
    expect(body.expire_time).toBe(claims.exp)
    const viaQuery = claimsOf(await issue(factory.app, 'servicea', {}, '?ttl=30'))
    expect(viaQuery.exp - viaQuery.iat).toBe(30)
  })

  it("issues an expired token with ?expired=1 (and the original README's expired=123)", async () => {
    factory = await createTestFactory()
    await factory.app.request('/keys/servicea')
    for (const query of ['?expired=1', '?expired=123']) {
      const token = await issue(factory.app, 'servicea', { aud: 'serviceb' }, query)
      const { status, body } = await verify(factory.app, 'servicea', token)
      expect(status).toBe(403)
      expect(body.error).toMatchObject({
        name: 'TokenExpiredError',
        message: 'jwt expired',
        code: 'ERR_JWT_EXPIRED',
      })
      expect(body.error.expiredAt).toBe(new Date(claimsOf(token).exp * 1000).toISOString())
      expect(body.claims).toEqual({})
    }
  })

  it('refuses a token for another audience, subject, or from another keyId', async () => {
    factory = await createTestFactory()
    await factory.app.request('/keys/servicea')
    await factory.app.request('/keys/serviceb')
    const token = await issue(factory.app, 'servicea')
    expect((await verify(factory.app, 'servicea', token, 'servicec')).body.error.message).toBe(
      'jwt audience invalid. expected: servicec',
    )
    expect((await verify(factory.app, 'servicea', token, 'serviceb', 'x')).body.error.message).toBe(
      'jwt subject invalid. expected: x',
    )
    const refused = await factory.app.request(
      '/issueToken/serviceb',
      jsonPost({ sub: 'servicea', aud: 'serviceb' }),
    )
    expect(refused.status).toBe(400) // a token signed with serviceb's key speaks for serviceb only
    const other = await issue(factory.app, 'serviceb', { aud: 'serviceb' })
    const { status, body } = await verify(factory.app, 'servicea', other, 'serviceb', 'serviceb')
    expect(status).toBe(403)
    expect(body.error).toMatchObject({
      name: 'JsonWebTokenError',
      message: 'no key matches the token',
    })
  })

  it('keeps verifying tokens of a rotated key until it is retired; the active key cannot be retired', async () => {
    factory = await createTestFactory()
    const old = (
      (await (await factory.app.request('/keys/servicea')).json()) as Record<string, string>
    ).kid!
    const oldToken = await issue(factory.app, 'servicea')
    const rotated = await factory.app.request('/keys/servicea', { method: 'POST' })
    expect(rotated.status).toBe(201)
    const current = ((await rotated.json()) as Record<string, string>).kid!
    expect(current).not.toBe(old)
    expect(headerOf(await issue(factory.app, 'servicea')).kid).toBe(current)
    expect((await verify(factory.app, 'servicea', oldToken)).status).toBe(200)
    const jwks = (await (await factory.app.request('/.well-known/jwks.json')).json()) as {
      keys: { kid: string }[]
    }
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([old, current].sort())
    expect(
      (await factory.app.request(`/keys/servicea/${current}`, { method: 'DELETE' })).status,
    ).toBe(409)
    expect((await factory.app.request(`/keys/servicea/${old}`, { method: 'DELETE' })).status).toBe(
      200,
    )
    expect((await verify(factory.app, 'servicea', oldToken)).body.error.message).toBe(
      'no key matches the token',
    )
    expect((await factory.app.request('/keys/servicea', { method: 'DELETE' })).status).toBe(200)
    expect(await (await factory.app.request('/utils/keys')).json()).toEqual([])
  })

  it('refuses claims it sets itself and malformed claims, naming them', async () => {
    factory = await createTestFactory()
    await factory.app.request('/keys/servicea')
    for (const claim of ['exp', 'iat', 'nbf', 'jti']) {
      const res = await factory.app.request('/issueToken/servicea', jsonPost({ [claim]: 1 }))
      expect(res.status).toBe(400)
      expect(((await res.json()) as any).error.message).toContain(`"${claim}"`)
    }
    expect((await factory.app.request('/issueToken/servicea', jsonPost({ aud: 5 }))).status).toBe(
      400,
    )
    expect((await factory.app.request('/issueToken/servicea', jsonPost({ sub: '' }))).status).toBe(
      400,
    )
  })

  it('accepts a token expired within the clock tolerance, and not beyond it', async () => {
    let now = new Date('2030-01-01T00:00:00Z')
    factory = await createTestFactory(
      { CLOCK_TOLERANCE_SECONDS: '30', TOKEN_TTL_SECONDS: '60' },
      () => now,
    )
    await factory.app.request('/keys/servicea')
    const token = await issue(factory.app, 'servicea')
    now = new Date('2030-01-01T00:01:20Z') // 20 s past exp
    expect((await verify(factory.app, 'servicea', token)).status).toBe(200)
    now = new Date('2030-01-01T00:01:31Z') // 31 s past exp
    expect((await verify(factory.app, 'servicea', token)).body.error.name).toBe('TokenExpiredError')
  })

  it('serves the utils, dump, discovery and health endpoints', async () => {
    factory = await createTestFactory()
    await factory.app.request('/keys/servicea')
    const pub = (await (await factory.app.request('/utils/publicKey/servicea')).json()) as Record<
      string,
      string
    >
    expect(pub.publicKey).toBe(
      ((await (await factory.app.request('/keys/servicea')).json()) as Record<string, string>)
        .publicKey,
    )
    for (const path of ['/utils/dump', '/dump']) {
      const res = await factory.app.request(path, { method: 'POST' })
      expect(await res.json()).toMatchObject({ dumped: ['servicea'] })
    }
    const discovery = (await (
      await factory.app.request('/.well-known/openid-configuration')
    ).json()) as Record<string, string>
    expect(discovery.issuer).toBe('https://localhost:5443')
    expect(discovery.jwks_uri).toBe('https://localhost:5443/.well-known/jwks.json')
    expect(await (await factory.app.request('/healthz')).json()).toEqual({ status: 'ok' })
  })
})

describe('factory routing', () => {
  it("routes with hono's RegExpRouter: no route makes it fall back to the slower TrieRouter", async () => {
    factory = await createTestFactory()
    expect(activeRouterName(factory.app)).toBe('RegExpRouter')
  })

  it('serves the user key at /jwks/users, one route with /jwks/:keyId, and no service may be "users"', async () => {
    factory = await createTestFactory()
    const { ring } = await factory.keyStore.ensure('servicea')
    const users = (await (await factory.app.request('/jwks/users')).json()) as {
      keys: { kid: string }[]
    }
    expect(users.keys).toEqual(factory.userKeys.jwks().keys)
    expect(users.keys.map((k) => k.kid)).not.toContain(ring.active.kid)
    const res = await factory.app.request('/issueToken/users', jsonPost({ aud: 'serviceb' }))
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_INVALID_KEY_ID' } })
  })
})
