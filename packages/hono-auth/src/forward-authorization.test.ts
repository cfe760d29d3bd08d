import { generateSigningKey, keyList, type KeySource, type SigningKey } from '@jwt-factory/jwt'
import { createBaseApp, silentLogger } from '@jwt-factory/server'
import { Hono } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseBearer } from './bearer-token.ts'
import {
  forwardAuthorization,
  forwardUserAuthorization,
  getAuth,
  USER_AUTHORIZATION_HEADER,
} from './forward-authorization.ts'
import { requireAuth } from './require-auth/index.ts'
import { ISSUER, userToken } from './require-auth/test-support.ts'

let key: SigningKey
let keys: KeySource

beforeAll(async () => {
  key = await generateSigningKey('ES256')
  keys = keyList([key])
})

/**
 * Two hops as in scenario 5: servicea admits the user, then calls serviceb with the user's token
 * forwarded; serviceb verifies it again, for its own audience and permission.
 */
function twoHops() {
  const serviceb = createBaseApp({ logger: silentLogger() })
  const asServiceb = requireAuth({
    issuer: ISSUER,
    audience: 'serviceb',
    keys,
    permission: 'app-view',
  })
  serviceb.get('/data', asServiceb, (c) => {
    const { token, claims } = c.get('auth')
    return c.json({ sub: claims.sub, token })
  })
  const servicea = createBaseApp({ logger: silentLogger() })
  servicea.get('/hop', requireAuth({ issuer: ISSUER, audience: 'servicea', keys }), async (c) => {
    const headers = { accept: 'application/json', ...forwardAuthorization(c) }
    const res = await serviceb.request('/data', { headers })
    return c.json({ status: res.status, body: await res.json() })
  })
  return servicea
}

describe('forwardAuthorization', () => {
  it("passes the verified caller's token on to the next hop, which verifies it again", async () => {
    const token = await userToken(key, { aud: ['servicea', 'serviceb'] })
    const res = await twoHops().request('/hop', { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 200, body: { sub: 'alice', token } })
  })

  it('forwards a token that came in the cookie as an Authorization header', async () => {
    const token = await userToken(key, { aud: ['servicea', 'serviceb'] })
    const res = await twoHops().request('/hop', { headers: { cookie: `token=Bearer%20${token}` } })
    expect(await res.json()).toEqual({ status: 200, body: { sub: 'alice', token } })
  })

  it('the next hop applies its own rules: without its permission, its 403', async () => {
    const token = await userToken(key, { aud: ['servicea', 'serviceb'], scope: 'token-issue' })
    const res = await twoHops().request('/hop', { headers: { authorization: `Bearer ${token}` } })
    const forbidden = { status: 403, body: { error: { code: 'ERR_FORBIDDEN' } } }
    expect(await res.json()).toMatchObject(forbidden)
  })

  it('returns exactly one authorization header', async () => {
    const token = await userToken(key)
    const app = new Hono()
    const auth = requireAuth({ issuer: ISSUER, audience: 'servicea', keys })
    app.get('/', auth, (c) => c.json(forwardAuthorization(c)))
    const res = await app.request('/', { headers: { authorization: `bearer   ${token}` } })
    expect(await res.json()).toEqual({ authorization: `Bearer ${token}` })
  })

  it('throws a TypeError when requireAuth did not run: a wiring mistake, a 500', async () => {
    const plain = new Hono()
    plain.get('/', (c) => {
      try {
        return c.json(forwardAuthorization(c))
      } catch (err) {
        return c.json({ type: (err as Error).constructor.name, message: (err as Error).message })
      }
    })
    expect(await (await plain.request('/')).json()).toEqual({
      type: 'TypeError',
      message: 'no verified caller on this request: mount requireAuth() before this handler',
    })

    const app = createBaseApp({ logger: silentLogger() })
    app.get('/', (c) => c.json({ sub: getAuth(c).claims.sub }))
    const authorization = `Bearer ${await userToken(key)}`
    const res = await app.request('/', { headers: { authorization } })
    expect(res.status).toBe(500)
    const error = { name: 'InternalError', code: 'ERR_INTERNAL', message: 'internal error' }
    expect(await res.json()).toEqual({ error })
  })
})

describe('forwardUserAuthorization', () => {
  it("puts the verified user's token beside the caller's own Authorization, header or cookie alike", async () => {
    const token = await userToken(key)
    const app = new Hono()
    app.get('/', requireAuth({ issuer: ISSUER, audience: 'servicea', keys }), (c) =>
      c.json({ authorization: 'Bearer service-token', ...forwardUserAuthorization(c) }),
    )
    const expected = {
      authorization: 'Bearer service-token',
      'x-user-authorization': `Bearer ${token}`,
    }
    const byHeader = await app.request('/', { headers: { authorization: `Bearer ${token}` } })
    expect(await byHeader.json()).toEqual(expected)
    const byCookie = await app.request('/', { headers: { cookie: `token=Bearer%20${token}` } })
    expect(await byCookie.json()).toEqual(expected)
    expect(USER_AUTHORIZATION_HEADER).toBe('x-user-authorization')
  })

  it('the next hop reads it back with parseBearer; anything but one bearer credential is none', () => {
    expect(parseBearer('Bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(parseBearer('bearer   abc.def.ghi ')).toBe('abc.def.ghi')
    for (const bad of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Basic abc',
      'abc.def.ghi',
      'Bearer a b',
      'Bearer a,b',
    ]) {
      expect(parseBearer(bad), String(bad)).toBeUndefined()
    }
  })
})
