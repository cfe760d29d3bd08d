import { hashPassword, updateUsersFile, type UserRecord } from '@jwt-factory/factory'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Cluster, getJson } from './cluster.ts'

/**
 * Retiring servicea's factory key (POST /keys/servicea, then DELETE /keys/servicea/<old kid>)
 * used to break scenarios 1, 2 and 5 for as long as servicea's cached tokens lived (up to an
 * hour): every call was a 403 `no key matches the token` until the cache expired or `?fresh=1`.
 * servicea now treats that refusal as a real client does: it drops the token, gets a new one and
 * calls once more. Each test retires the key the cached tokens were signed with.
 */
let cluster: Cluster
const PASSWORD = 'vera-password-1'

beforeAll(async () => {
  cluster = await Cluster.start()
  const time = new Date().toISOString()
  const vera: UserRecord = {
    name: 'vera',
    password: await hashPassword(PASSWORD),
    roles: ['viewer'],
    locked: false,
    created: time,
    updated: time,
  }
  // The running factory reloads the users file when it changes, as with `npm run users`.
  await updateUsersFile(`${cluster.dir}/users.json`, () => [vera])
  await vi.waitFor(async () => expect((await login()).status).toBe(200), {
    timeout: 10_000,
    interval: 100,
  })
  // Every token servicea will present from now on comes from its cache, signed with this key.
  for (const path of ['/scenario1', '/scenario2']) expect((await a(path)).status).toBe(200)
  expect((await scenario5(await userToken())).status).toBe(200)
})
afterAll(() => cluster?.stop())

const a = (path: string) => getJson(`${cluster.urls.servicea}${path}`)
const factory = (path: string, method = 'GET') =>
  getJson(`${cluster.urls['jwt-factory']}${path}`, { method })

function login() {
  return cluster.https.requestJson('jwt-factory', `${cluster.urls.factoryHttps}/login`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`vera:${PASSWORD}`).toString('base64')}`,
      'x-audience': 'servicea',
    },
  })
}

async function userToken(): Promise<string> {
  return ((await login()).body as { access_token: string }).access_token
}

const scenario5 = (token: string, query = '') =>
  getJson(`${cluster.urls.servicea}/scenario5${query}`, {
    headers: { authorization: `Bearer ${token}` },
  })

/** Makes a new active key for `keyId` and retires the one before it, as after a leak. */
async function rotateAndRetire(keyId = 'servicea'): Promise<string> {
  const old = (await factory(`/keys/${keyId}`)).body.kid as string
  expect((await factory(`/keys/${keyId}`, 'POST')).status).toBe(201)
  const retired = await factory(`/keys/${keyId}/${old}`, 'DELETE')
  expect(retired.status, JSON.stringify(retired.body)).toBe(200)
  return old
}

/** The spans under the request itself, in tree order; the factory's own verify spans left out. */
const hops = (trace: any[]) =>
  trace
    .filter((t) => t.id !== '1' && t.from !== 'jwt-factory')
    .map((t) => `${t.from}->${t.to} ${t.call} ${t.status}`)
const span = (trace: any[], call: string, n = 0) => trace.filter((t) => t.call === call)[n]
const REFUSED_CACHED = /^serviceb refused the cached token: no key matches the token/

describe("servicea's key retired at the factory: a refused cached token is replaced once", () => {
  it('scenario 1 answers 200 at once; the trace shows the refused call, a new token, the second call', async () => {
    await rotateAndRetire()
    const { status, body } = await a('/scenario1?trace=1')
    expect(status, JSON.stringify(body)).toBe(200)
    expect(body.valid).toBe(true)
    expect(hops(body.trace)).toEqual([
      'servicea->servicea reuse cached token 200',
      'servicea->serviceb GET /scenario1-server 403',
      'serviceb->jwt-factory POST /verify/servicea 403',
      'servicea->jwt-factory POST /issueToken/servicea 200',
      'servicea->serviceb GET /scenario1-server 200',
      'serviceb->jwt-factory POST /verify/servicea 200',
    ])
    expect(span(body.trace, 'POST /verify/servicea').result).toMatch(/no key matches the token/)
    const issued = span(body.trace, 'POST /issueToken/servicea')
    expect(issued).toMatchObject({ token: { claims: { aud: 'serviceb' }, source: 'issued' } })
    expect(issued.result).toMatch(REFUSED_CACHED)

    // The new token is the cached one now: the next call goes straight through.
    const again = await a('/scenario1?trace=1')
    expect(again.status).toBe(200)
    expect(hops(again.body.trace)).toEqual([
      'servicea->servicea reuse cached token 200',
      'servicea->serviceb GET /scenario1-server 200',
      'serviceb->jwt-factory POST /verify/servicea 200',
    ])
    expect(again.body.claims.jti).toBe(body.claims.jti)
  })

  it('the retry is logged at info, with the request id and without the token', async () => {
    await rotateAndRetire()
    const { status, headers } = await a('/scenario1')
    expect(status).toBe(200)
    const rid = headers.get('x-request-id')!
    const lines = () =>
      cluster
        .logsOf('servicea')
        .filter((line) => line.includes(`"rid":"${rid}"`))
        .map((line) => JSON.parse(line))
    // Log lines come through the process's stdout, which may trail its answer.
    const retry = await vi.waitFor(() => {
      const line = lines().find((l) => /refused the cached token/.test(l.msg))
      expect(line).toBeDefined()
      return line
    })
    expect(retry).toMatchObject({
      level: 30,
      msg: expect.stringMatching(
        /^servicea → serviceb: \/scenario1-server refused the cached token \(no key matches the token.*\); retrying once with a new one$/,
      ),
    })
    expect(lines().map((l) => l.msg)).toContain('servicea → jwt-factory: token for aud=serviceb')
    expect(JSON.stringify(lines())).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/)
  })

  it('scenario 2 answers 200 at once: each audience replaces its own refused token', async () => {
    await rotateAndRetire() // signed serviceb's token; servicec's dates from before the first
    const { status, body } = await a('/scenario2?trace=1')
    expect(status, JSON.stringify(body)).toBe(200)
    expect(body.serviceb.valid).toBe(true)
    expect(body.servicec.valid).toBe(true)
    const calls = hops(body.trace)
    for (const peer of ['serviceb', 'servicec']) {
      // The two audiences run side by side, so only each one's own order is fixed.
      expect(calls.filter((c) => c.startsWith(`servicea->${peer} `))).toEqual([
        `servicea->${peer} GET /scenario2-server 403`,
        `servicea->${peer} GET /scenario2-server 200`,
      ])
      const renewed = body.trace.filter(
        (t: any) => t.call === 'POST /issueToken/servicea' && t.token.claims.aud === peer,
      )
      expect(renewed).toHaveLength(1)
      expect(renewed[0].result).toMatch(
        new RegExp(`^${peer} refused the cached token: no key matches the token`),
      )
    }
  })

  it('scenario 5 answers 200 at once: the refused service token is replaced, the user token kept', async () => {
    const user = await userToken()
    await rotateAndRetire()
    const { status, body } = await scenario5(user, '?trace=1')
    expect(status, JSON.stringify(body)).toBe(200)
    expect(body).toMatchObject({ valid: true, user: { valid: true, claims: { sub: 'vera' } } })
    expect(hops(body.trace)).toEqual([
      'servicea->servicea verify with the user keys at jwt-factory 200',
      'servicea->servicea reuse cached token 200',
      'servicea->serviceb GET /scenario5-server 403',
      'serviceb->jwt-factory POST /verify/servicea 403',
      'servicea->jwt-factory POST /issueToken/servicea 200',
      'servicea->serviceb GET /scenario5-server 200',
      'serviceb->jwt-factory POST /verify/servicea 200',
      'serviceb->serviceb verify with the user keys at jwt-factory 200',
    ])
    expect(span(body.trace, 'POST /issueToken/servicea').result).toMatch(REFUSED_CACHED)
  })

  it('?expired=1 is never retried, and leaves the cached token for the next call', async () => {
    await rotateAndRetire()
    const expired = await a('/scenario1?expired=1&trace=1')
    expect(expired.status).toBe(403)
    expect(expired.body.error).toMatchObject({ name: 'TokenExpiredError' })
    expect(hops(expired.body.trace)).toEqual([
      'servicea->jwt-factory POST /issueToken/servicea 200',
      'servicea->serviceb GET /scenario1-server 403',
      'serviceb->jwt-factory POST /verify/servicea 403',
    ])
    const next = await a('/scenario1?trace=1')
    expect(next.status).toBe(200)
    expect(hops(next.body.trace)).toContain('servicea->jwt-factory POST /issueToken/servicea 200')
  })

  it('scenario 5: a user token serviceb refuses is answered as it is, without a new service token', async () => {
    // serviceb, started afresh after the user key is retired, no longer knows that key; servicea
    // still holds the key set it fetched before (until its max-age), so it lets the token by.
    const user = await userToken()
    expect((await scenario5(user)).status).toBe(200)
    await rotateAndRetire('users')
    await cluster.stopProcess('serviceb')
    await cluster.startProcess('serviceb')
    const { status, body } = await scenario5(user, '?trace=1')
    expect(status, JSON.stringify(body)).toBe(403)
    expect(body).toMatchObject({ message: 'invalid user token', service: { valid: true } })
    expect(hops(body.trace)).toEqual([
      'servicea->servicea verify with the user keys at jwt-factory 200',
      'servicea->servicea reuse cached token 200',
      'servicea->serviceb GET /scenario5-server 403',
      'serviceb->jwt-factory POST /verify/servicea 200',
      'serviceb->serviceb verify with the user keys at jwt-factory 403',
    ])
  })
})
