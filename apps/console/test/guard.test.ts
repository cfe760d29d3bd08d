import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { nonLoopbackAddress, requestFrom } from '@jwt-factory/server/testing'
import { createCertificateAuthority } from '@jwt-factory/tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Supervisor } from '../../../scripts/demo/supervisor.ts'
import type { RunningConsole } from '../src/start-console.ts'
import { consoleDir, serveConsole, testConfig } from './console-under-test.ts'

/**
 * The one guard in front of every route, against a real console on a real socket. A Supervisor
 * that started nothing: a request the guard lets through reaches a route (200, or the route's own
 * 404 for a process it does not have); one it refuses is a 403 that never got there.
 */
let http: HttpClient
let running: RunningConsole
beforeAll(async () => {
  const ca = await createCertificateAuthority({ commonName: 'guard test CA', validityDays: 1 })
  http = createHttpClient({ caPem: ca.certPem })
  running = await serveConsole(testConfig(), new Supervisor(consoleDir, {}), http)
})
afterAll(async () => {
  await running?.close()
  await http?.close()
})

const json = { 'content-type': 'application/json' }
const post = (headers: Record<string, string>, path = '/control/processes/serviceb/stop') =>
  requestFrom({ port: running.port, path, method: 'POST', headers, body: '{}' })

describe('the console answers this machine and its own page only', () => {
  it('answers a GET from loopback for localhost, 127.0.0.1 and [::1] at its port', async () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]']) {
      const res = await requestFrom({
        port: running.port,
        path: '/control/state',
        headers: { host: `${host}:${running.port}` },
      })
      expect(res.status, host).toBe(200)
      expect(res.body).toMatchObject({ processes: [], factory: null, servicea: null })
    }
  })

  it('lets its own page POST JSON (the route answers: no such process here)', async () => {
    const origin = `http://localhost:${running.port}`
    const res = await post({ ...json, host: `localhost:${running.port}`, origin })
    expect(res.status).toBe(404)
    expect(res.body).toMatchObject({ error: { code: 'ERR_UNKNOWN_PROCESS' } })
  })

  it('attack: cross-site request forgery, a POST from another origin → 403, the route never runs', async () => {
    for (const origin of ['https://evil.example', 'null', `http://localhost:${running.port + 1}`]) {
      const res = await post({ ...json, host: `localhost:${running.port}`, origin })
      expect(res.status, origin).toBe(403)
      expect(res.body).toMatchObject({ error: { code: 'ERR_FOREIGN_ORIGIN' } })
    }
  })

  it('attack: cross-site request forgery, a text/plain POST (a form, no preflight) → 403', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const res = await post({ 'content-type': type, host: `localhost:${running.port}` })
      expect(res.status, type).toBe(403)
      expect(res.body).toMatchObject({ error: { code: 'ERR_NOT_JSON' } })
    }
    const none = await requestFrom({ port: running.port, path: '/control/jwks', method: 'POST' })
    expect(none.status).toBe(403)
  })

  it('attack: DNS rebinding, a foreign Host on the loopback socket → 403, for GET and POST', async () => {
    const host = `rebind.evil.example:${running.port}`
    const get = await requestFrom({ port: running.port, path: '/control/state', headers: { host } })
    expect(get.status).toBe(403)
    expect(get.body).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } })
    const events = await requestFrom({ port: running.port, path: '/events', headers: { host } })
    expect(events.status).toBe(403)
    expect((await post({ ...json, host })).status).toBe(403)
  })

  it('refuses a caller beyond loopback, whatever its headers say', async (ctx) => {
    const localAddress = nonLoopbackAddress()
    if (!localAddress) return ctx.skip()
    const res = await requestFrom({
      port: running.port,
      path: '/control/state',
      localAddress,
      headers: { host: `localhost:${running.port}`, 'x-forwarded-for': '127.0.0.1' },
    })
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } })
  })
})
