import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBaseApp } from './create-base-app.ts'
import { forwardedFault, freezeWhenAsked, parseFault } from './injected-fault.ts'
import { listen, type RunningServer } from './listen.ts'
import { silentLogger } from './logger.ts'
import { nonLoopbackAddress, requestFrom } from './testing/request-from.ts'

let server: RunningServer
let answered = 0
/** Resolved as each request arrives, before the freeze sees it. */
let arrived: () => void = () => {}
const app = createBaseApp({ logger: silentLogger() })
  .use(async (_, next) => {
    arrived()
    await next()
  })
  .use(freezeWhenAsked('serviceb'))
  .get('/hello', (c) => {
    answered++
    return c.json({ hello: 'serviceb' })
  })
  // What a hop client sends on: servicea's ?fault=, or the x-fault this process honoured.
  .get('/forwarded', (c) => c.json(forwardedFault(c)))

beforeAll(async () => {
  server = await listen({ name: 'test', fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
})
afterAll(() => server.close(100))

/** A request its caller gives up on once `gaveUp` settles: what a hop's timeout does. */
function callUntil(gaveUp: Promise<unknown>, fault: string) {
  return new Promise<string>((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: '/hello', headers: { 'x-fault': fault } },
      () => resolve('answered'),
    )
    req.on('error', () => resolve('gave up'))
    req.end()
    void gaveUp.then(() => req.destroy())
  })
}

describe('faults asked for on one request (x-fault)', () => {
  it('parses the faults it knows and nothing else', () => {
    expect(parseFault('freeze:serviceb')).toEqual({
      kind: 'freeze',
      process: 'serviceb',
      value: 'freeze:serviceb',
    })
    expect(parseFault('jwks:slow')).toMatchObject({ kind: 'jwks', mode: 'slow' })
    for (const bad of ['freeze:servicea', 'freeze:', 'jwks:fast', 'freeze:serviceb ', '', 'x']) {
      expect(parseFault(bad)).toBeUndefined()
    }
  })

  it('?fault= is sent on as x-fault; one that names no fault is a 400 listing them', async () => {
    const forwarded = (query: string, headers: Record<string, string> = {}) =>
      requestFrom({ port: server.port, path: `/forwarded${query}`, headers })
    expect(await forwarded('?fault=jwks:slow')).toMatchObject({
      status: 200,
      body: { 'x-fault': 'jwks:slow' },
    })
    expect(await forwarded('', { 'x-fault': 'freeze:jwt-factory' })).toMatchObject({
      body: { 'x-fault': 'freeze:jwt-factory' },
    })
    expect(await forwarded('')).toMatchObject({ status: 200, body: {} })
    const bad = await forwarded('?fault=freeze:everything')
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({
      error: {
        code: 'ERR_BAD_REQUEST',
        message:
          'fault must be one of freeze:jwt-factory, freeze:serviceb, freeze:servicec, jwks:slow, jwks:failing',
      },
    })
  })

  it('freeze: the named process holds the request until its caller gives up, never answering', async () => {
    const before = answered
    // The caller gives up once the server has the request: it was held, not lost on the way.
    const gaveUp = new Promise<void>((resolve) => (arrived = resolve))
    expect(await callUntil(gaveUp, 'freeze:serviceb')).toBe('gave up')
    arrived = () => {}
    expect(answered).toBe(before)
  })

  it('a fault naming another process changes nothing here', async () => {
    const res = await requestFrom({
      port: server.port,
      path: '/hello',
      headers: { 'x-fault': 'freeze:servicec' },
    })
    expect(res).toMatchObject({ status: 200, body: { hello: 'serviceb' } })
  })

  it('a caller beyond this machine cannot freeze anything: the header is ignored', async ({
    skip,
  }) => {
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    const res = await requestFrom({
      port: server.port,
      path: '/hello',
      localAddress: other,
      headers: { 'x-fault': 'freeze:serviceb' },
    })
    expect(res).toMatchObject({ status: 200, body: { hello: 'serviceb' } })
  })

  it('a caller beyond this machine cannot have a fault sent on: ?fault= is a 403, x-fault is dropped', async ({
    skip,
  }) => {
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    const asked = await requestFrom({
      port: server.port,
      path: '/forwarded?fault=freeze:serviceb',
      localAddress: other,
    })
    expect(asked).toMatchObject({
      status: 403,
      body: {
        error: { code: 'ERR_FORBIDDEN', message: 'a fault is asked for from this machine only' },
      },
    })
    const sent = await requestFrom({
      port: server.port,
      path: '/forwarded',
      localAddress: other,
      headers: { 'x-fault': 'freeze:jwt-factory' },
    })
    expect(sent).toMatchObject({ status: 200, body: {} })
  })

  it('a page whose name was rebound to 127.0.0.1 (DNS rebinding) cannot steer faults: its Host is not localhost', async () => {
    const rebound = { host: `evil.example:${server.port}` }
    const asked = await requestFrom({
      port: server.port,
      path: '/forwarded?fault=freeze:serviceb',
      headers: rebound,
    })
    expect(asked).toMatchObject({
      status: 403,
      body: {
        error: {
          code: 'ERR_FORBIDDEN',
          message: expect.stringMatching(
            /^a fault is asked for at localhost only, not Host "evil\.example:\d+"$/,
          ),
        },
      },
    })
    // Sent straight to a hop: the header is ignored, the request answered at once.
    const sent = await requestFrom({
      port: server.port,
      path: '/hello',
      headers: { ...rebound, 'x-fault': 'freeze:serviceb' },
    })
    expect(sent).toMatchObject({ status: 200, body: { hello: 'serviceb' } })
    // The same from localhost is honoured: the fault is asked for and sent on.
    const local = await requestFrom({ port: server.port, path: '/forwarded?fault=freeze:serviceb' })
    expect(local).toMatchObject({ status: 200, body: { 'x-fault': 'freeze:serviceb' } })
  })
})
