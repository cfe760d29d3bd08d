import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  BadRequestError,
  createBaseApp,
  silentLogger,
  TooManyRequestsError,
} from '@jwt-factory/server'
import { OAuthError } from './oauth-error.ts'
import { noStore, oauthRoutes } from './oauth-routes.ts'

/** An app with an OAuth endpoint mounted first and a factory route after it, as app.ts mounts them. */
function appWithOAuthFirst() {
  const oauth = oauthRoutes()
    .post('/token', noStore, () => {
      throw new OAuthError('invalid_grant', 'no such grant')
    })
    .post('/busy', noStore, () => {
      throw new TooManyRequestsError('too many failed attempts', 7)
    })
  const factory = new Hono()
    .get('/jwks', (c) => {
      c.header('Cache-Control', 'public, max-age=300')
      return c.json({ keys: [] })
    })
    .get('/bad', () => {
      throw new BadRequestError('a factory refusal')
    })
  return createBaseApp({ logger: silentLogger() }).route('/', oauth).route('/', factory)
}

describe('the OAuth routes', () => {
  it("answer RFC 6749 §5.2's error shape, never cached", async () => {
    const res = await appWithOAuthFirst().request('/token', { method: 'POST' })
    expect(res.status).toBe(400)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'no such grant' })
  })

  it('answer another request failure as invalid_request with its status and headers (Retry-After)', async () => {
    const res = await appWithOAuthFirst().request('/busy', { method: 'POST' })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'too many failed attempts',
    })
  })

  it('reach no route mounted after them: its caching and its error shape stay its own', async () => {
    const app = appWithOAuthFirst()
    const jwks = await app.request('/jwks')
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300')
    const bad = await app.request('/bad')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: { name: 'BadRequestError' } })
  })
})
