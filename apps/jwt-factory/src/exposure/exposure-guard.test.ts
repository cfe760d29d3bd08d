import { afterEach, describe, expect, it } from 'vitest'
import { createTestFactory, jsonPost } from '../test-support.ts'
import { createAdminCredential } from './admin-credential.ts'
import { assertEndpointsClassified } from './endpoints.ts'
import { exposureGuard } from './exposure-guard.ts'

/**
 * Through app.request(), which has no socket: it proves neither TLS nor a loopback peer, as a
 * request from another machine over plain HTTP would not. The real sockets (mutual TLS, a peer
 * beyond loopback) are in test/exposure.test.ts.
 */
const TOKEN = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy'
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})

async function factory(env: Record<string, string>) {
  const created = await createTestFactory(env)
  cleanups.push(created.cleanup)
  return created
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('on loopback with ADMIN_TOKEN set', () => {
  it('key management needs it: 401 with a challenge without it, 401 invalid_token when wrong, and the handler never ran', async () => {
    const { app, keyStore } = await factory({ ADMIN_TOKEN: TOKEN })
    const missing = await app.request('/keys/servicea')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="jwt-factory admin"')
    expect(await missing.json()).toEqual({
      error: {
        name: 'UnauthorizedError',
        code: 'ERR_UNAUTHORIZED',
        message: expect.stringContaining('Authorization: Bearer <ADMIN_TOKEN>'),
      },
    })
    const wrong = await app.request('/keys/servicea', { headers: bearer(`${TOKEN.slice(0, -1)}x`) })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="jwt-factory admin", error="invalid_token"/,
    )
    for (const [path, method] of [
      ['/keys/servicea', 'POST'],
      ['/keys/servicea', 'DELETE'],
      ['/keys/servicea/kid', 'DELETE'],
      ['/dump', 'POST'],
      ['/utils/dump', 'POST'],
    ] as const) {
      expect((await app.request(path, { method })).status, `${method} ${path}`).toBe(401)
    }
    expect(keyStore.keyIds()).toEqual([])
    const ok = await app.request('/keys/servicea', { headers: bearer(TOKEN) })
    expect(ok.status).toBe(201)
    expect(keyStore.keyIds()).toEqual(['servicea'])
  })

  it('the rest stays as it was: issuing, verifying, JWKS, health', async () => {
    const { app } = await factory({ ADMIN_TOKEN: TOKEN })
    await app.request('/keys/servicea', { headers: bearer(TOKEN) })
    const issued = await app.request('/issueToken/servicea', jsonPost({ aud: 'serviceb' }))
    expect(issued.status).toBe(200)
    const verified = await app.request(
      '/verify/servicea',
      jsonPost({ token: await issued.text(), aud: 'serviceb', sub: 'servicea' }),
    )
    expect(verified.status).toBe(200)
    expect((await app.request('/.well-known/jwks.json')).status).toBe(200)
    expect((await app.request('/healthz')).status).toBe(200)
  })
})

describe('beyond loopback, a request that proves neither TLS nor a loopback peer', () => {
  it('gets only the public endpoints; secrets 403 naming HTTPS, issuing 403 naming mutual TLS', async () => {
    const { app } = await factory({
      HOST: '0.0.0.0',
      ADMIN_TOKEN: TOKEN,
      PUBLIC_URL: 'https://jwt-factory.example:5443',
    })
    for (const path of [
      '/healthz',
      '/.well-known/jwks.json',
      '/.well-known/openid-configuration',
      '/utils/keys',
    ]) {
      expect((await app.request(path)).status, path).toBe(200)
    }
    const keys = await app.request('/keys/servicea', { headers: bearer(TOKEN) })
    expect(keys.status).toBe(403)
    expect(((await keys.json()) as { error: { message: string } }).error.message).toMatch(
      /served over HTTPS only/,
    )
    for (const path of ['/verify/servicea', '/login', '/totp/validate', '/auth']) {
      expect((await app.request(path, jsonPost({}))).status, path).toBe(403)
    }
    const issue = await app.request('/issueToken/servicea', jsonPost({ aud: 'serviceb' }))
    expect(issue.status).toBe(403)
    expect(((await issue.json()) as { error: { message: string } }).error.message).toMatch(
      /needs mutual TLS.*certs\/servicea\.pem/,
    )
    // A 404 stays a 404.
    expect((await app.request('/nothing-here')).status).toBe(404)
  })
})

describe('misuse is caught when the app is built', () => {
  it('an exposed guard without an admin credential is a TypeError', () => {
    expect(() =>
      exposureGuard({ exposed: true, admin: undefined, issuer: 'x', httpsPort: 1 }),
    ).toThrow(TypeError)
  })

  it('a route nobody classified is a TypeError naming it', () => {
    expect(() =>
      assertEndpointsClassified([
        { method: 'ALL', path: '*' },
        { method: 'POST', path: '/new-thing' },
      ]),
    ).toThrow('classify POST /new-thing in exposure/endpoints.ts')
  })

  it('an admin token that is not one is refused at creation', () => {
    expect(() => createAdminCredential('short')).toThrow(TypeError)
    expect(createAdminCredential(TOKEN).matches(TOKEN)).toBe(true)
    expect(createAdminCredential(TOKEN).matches(`${TOKEN}x`)).toBe(false)
  })
})
