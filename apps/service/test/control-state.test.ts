import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nonLoopbackAddress, requestFrom } from '@jwt-factory/server/testing'
import { Cluster, getJson } from './cluster.ts'

/**
 * Each service's GET /control/state, what the teaching console reads to show who holds which key
 * and when each cache lapses; and GET / on every port. Real processes on loopback.
 */
let cluster: Cluster
// A short hop timeout for the slow JWKS; no refetch cooldown, so a rotated kid is fetched at once.
const HOP_TIMEOUT_MS = 500
beforeAll(async () => {
  const services = { KEYS_RELOAD_COOLDOWN_MS: '0' }
  cluster = await Cluster.start({
    hopTimeoutMs: HOP_TIMEOUT_MS,
    env: { servicea: services, serviceb: services, servicec: services },
  })
})
afterAll(() => cluster?.stop())

const state = async (name: 'servicea' | 'serviceb' | 'servicec') => {
  const res = await getJson(`${cluster.urls[name]}/control/state`)
  expect(res.status).toBe(200)
  return res.body
}
const factoryKid = async () => {
  const res = await getJson(`${cluster.urls['jwt-factory']}/control/state`)
  const keys = res.body.keys.servicea as { kid: string; active: boolean }[]
  return keys.find((k) => k.active)!.kid
}
const port = (url: string) => Number(new URL(url).port)

describe('GET /control/state', () => {
  it('servicea: its cached token per audience (kid, expiry, reused until), its scenario-3 key, its key sets; never a token or a private key', async () => {
    const run = await getJson(`${cluster.urls.servicea}/scenario1?fresh=1&trace=1`)
    expect(run.status).toBe(200)
    const body = await state('servicea')
    const [token] = body.tokens
    expect(body.tokens).toHaveLength(1)
    expect(token).toEqual({
      aud: 'serviceb',
      kid: await factoryKid(),
      expiresAt: expect.any(Number),
      reusedUntil: token.expiresAt - 60_000,
    })
    // The factory's default TTL is an hour.
    expect(token.expiresAt - Date.now()).toBeGreaterThan(3_500_000)
    expect(body.scenario3Key).toEqual({
      kid: expect.any(String),
      alg: 'ES256',
      file: expect.stringMatching(/scenario-3-keys\/jwt-private\.pem$/),
    })
    expect(body.keySets.map((s: { name: string }) => s.name)).toEqual([
      "servicea's keys at jwt-factory",
      'the user keys at jwt-factory',
    ])
    const text = JSON.stringify(body)
    expect(text).not.toMatch(/eyJ|PRIVATE KEY/)
  })

  it('serviceb: the key set it fetched for ?verify=jwks, when, until when, with which kids', async () => {
    const before = (await state('serviceb')).keySets[0]
    expect(before).toMatchObject({ fetchedAt: null, staleAt: null, kids: [] })
    const started = Date.now()
    expect((await getJson(`${cluster.urls.servicea}/scenario1?verify=jwks`)).status).toBe(200)
    const body = await state('serviceb')
    expect(Object.keys(body)).toEqual(['keySets'])
    const [callerKeys] = body.keySets
    expect(callerKeys).toEqual({
      name: "servicea's keys at jwt-factory",
      url: `${cluster.urls.factoryHttps}/jwks/servicea`,
      fetchedAt: expect.any(Number),
      staleAt: expect.any(Number),
      kids: [await factoryKid()],
    })
    expect(callerKeys.fetchedAt).toBeGreaterThanOrEqual(started)
    // The factory's JWKS says max-age=300.
    expect(callerKeys.staleAt - callerKeys.fetchedAt).toBe(300_000)
  })

  it('answers only a caller on this machine', async ({ skip }) => {
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    for (const name of ['servicea', 'serviceb'] as const) {
      const res = await requestFrom({
        port: port(cluster.urls[name]),
        path: '/control/state',
        localAddress: other!,
      })
      expect(res.status, name).toBe(403)
      expect(res.body).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } })
    }
  })
})

describe("the factory's JWKS fault, as serviceb sees it when it fetches", () => {
  const fault = (mode: string) =>
    getJson(`${cluster.urls['jwt-factory']}/control/jwks-fault`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: mode }),
    })
  /** A new servicea key: serviceb's cached set lacks its kid and must fetch. */
  const rotate = () => getJson(`${cluster.urls['jwt-factory']}/keys/servicea`, { method: 'POST' })
  const scenario1 = (query = '') =>
    getJson(`${cluster.urls.servicea}/scenario1?verify=jwks&fresh=1${query}`)
  const hopError = (code: string) => ({
    error: expect.objectContaining({ code, hop: 'jwt-factory' }),
  })

  it('failing: 502 naming jwt-factory; slow: 504 naming it; none: 200 again', async () => {
    expect((await scenario1()).status).toBe(200) // serviceb's set is cached
    expect((await fault('failing')).status).toBe(200)
    expect((await scenario1()).status).toBe(200) // a cached kid needs no fetch
    await rotate()
    const failing = await scenario1()
    expect(failing.status).toBe(502)
    expect(failing.body).toMatchObject(hopError('ERR_BAD_GATEWAY'))
    await fault('slow')
    const slow = await scenario1()
    expect(slow.status).toBe(504)
    expect(slow.body).toMatchObject(hopError('ERR_GATEWAY_TIMEOUT'))
    await fault('none')
    expect((await scenario1()).status).toBe(200)
  })

  it("a request's own ?fault=jwks:failing fetches afresh and fails that request alone", async () => {
    const failing = await scenario1('&fault=jwks:failing')
    expect(failing.status).toBe(502)
    expect(failing.body).toMatchObject(hopError('ERR_BAD_GATEWAY'))
    expect((await scenario1()).status).toBe(200)
  })
})

describe('GET / on every port', () => {
  it('says who answers, the console and what to try, over HTTP and HTTPS', async () => {
    const servicea = await getJson(`${cluster.urls.servicea}/?pretty`)
    expect(servicea.status).toBe(200)
    expect(servicea.body).toMatchObject({
      name: 'servicea',
      console: expect.stringMatching(/^http:\/\/localhost:4000\/ /),
      try: expect.objectContaining({ 'GET /scenario1': expect.any(String) }),
    })
    const serviceb = await getJson(`${cluster.urls.serviceb}/`)
    expect(serviceb.body).toMatchObject({
      name: 'serviceb',
      try: expect.objectContaining({ 'GET /scenario1-server': expect.any(String) }),
    })
  })

  it("serviceb sends a scenario's caller to servicea's configured URL, where servicea answers", async () => {
    const res = await getJson(`${cluster.urls.serviceb}/scenario1`)
    expect(res.status).toBe(404)
    const message = res.body.error.message as string
    const hint =
      /^scenarios run on servicea \(curl --cacert certs\/ca\.pem (https:\/\/localhost:\d+)\/scenario1\); serviceb answers \/scenario1-server$/.exec(
        message,
      )
    expect(hint, message).not.toBeNull()
    // servicea's HTTPS port, and its GET / there.
    const home = await cluster.https.requestJson('servicea', `${hint![1]}/`)
    expect(home).toMatchObject({ status: 200, body: { name: 'servicea' } })
  })
})
