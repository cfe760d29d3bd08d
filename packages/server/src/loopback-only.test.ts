import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBaseApp } from './create-base-app.ts'
import { listen, type RunningServer } from './listen.ts'
import { silentLogger } from './logger.ts'
import { loopbackOnly } from './loopback-only.ts'
import { nonLoopbackAddress, requestFrom } from './testing/request-from.ts'

/** A real listener on 127.0.0.1: what the middleware reads is the socket's peer address. */
let server: RunningServer
let handled = 0
const app = createBaseApp({ logger: silentLogger() })
  .use('/control/*', loopbackOnly('this control endpoint'))
  .get('/control/state', (c) => {
    handled++
    return c.json({ ok: true })
  })

beforeAll(async () => {
  server = await listen({ name: 'test', fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
})
afterAll(() => server.close(100))

const get = (headers: Record<string, string> = {}, localAddress?: string) =>
  requestFrom({
    port: server.port,
    path: '/control/state',
    headers,
    ...(localAddress ? { localAddress } : {}),
  })

describe('loopbackOnly', () => {
  it.each(['127.0.0.1', 'localhost', '[::1]'])(
    'answers a caller on this machine that addressed it as %s',
    async (name) => {
      const res = await get({ host: `${name}:${server.port}` })
      expect(res).toMatchObject({ status: 200, body: { ok: true } })
    },
  )

  it('refuses a peer beyond loopback with a 403, whatever its headers claim, and the handler never ran', async ({
    skip,
  }) => {
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    const before = handled
    const res = await get({ 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1' }, other)
    expect(res.status).toBe(403)
    expect(res.body).toEqual({
      error: {
        name: 'ForbiddenError',
        code: 'ERR_FORBIDDEN',
        message: 'this control endpoint answers callers on this machine only',
      },
    })
    expect(handled).toBe(before)
  })

  it.each(['evil.example', '127.0.0.1.evil.example', 'localhost.evil.example'])(
    'DNS rebinding: refuses a loopback request whose Host is %j, and the handler never ran',
    async (host) => {
      const before = handled
      const res = await get({ host: `${host}:${server.port}` })
      expect(res.status).toBe(403)
      expect((res.body as { error: { message: string } }).error.message).toMatch(
        /^this control endpoint answers requests for localhost only, not Host /,
      )
      expect(handled).toBe(before)
    },
  )

  it('refuses a request with no socket behind it (app.request(), another runtime)', async () => {
    const res = await app.request('/control/state', { headers: { host: 'localhost' } })
    expect(res.status).toBe(403)
  })
})
