import {
  hashPassword,
  newTotpSecret,
  totpCode,
  updateUsersFile,
  type UserRecord,
} from '@jwt-factory/factory'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Cluster, getJson } from './cluster.ts'

/**
 * Scenario 5 end to end: users log in at the real factory (over HTTPS), call servicea with the
 * user token; servicea calls serviceb over HTTPS with its own service token and the user's.
 */
let cluster: Cluster
const TOTP_SECRET = newTotpSecret()
const USERS = [
  { name: 'vera', password: 'vera-password-1', roles: ['viewer'] },
  { name: 'gus', password: 'gus-password-1', roles: ['guest'] },
  { name: 'tom', password: 'tom-password-1', roles: ['viewer'], totpSecret: TOTP_SECRET },
  // A user whose tokens look like servicea's service tokens in every claim: only `typ` and the key differ.
  { name: 'servicea', password: 'servicea-password-1', roles: ['admin'] },
]

beforeAll(async () => {
  // The verifiers refetch the JWKS at the first token naming a kid they lack, not once a 1 s
  // cooldown has passed: the user key rotation below needs no wait.
  const noCooldown = { KEYS_RELOAD_COOLDOWN_MS: '0' }
  cluster = await Cluster.start({ env: { servicea: noCooldown, serviceb: noCooldown } })
  // Written while the factory runs, as `npm run users` does: it reloads the file on change.
  const time = new Date().toISOString()
  const records: UserRecord[] = []
  for (const { totpSecret, ...u } of USERS) {
    records.push({
      ...u,
      password: await hashPassword(u.password),
      ...(totpSecret ? { totpSecret } : {}),
      locked: false,
      created: time,
      updated: time,
    })
  }
  await updateUsersFile(`${cluster.dir}/users.json`, () => records)
  await vi.waitFor(async () => expect((await login('vera')).status).toBe(200), {
    timeout: 10_000,
    interval: 100,
  })
})
afterAll(() => cluster?.stop())

const basic = (name: string) =>
  `Basic ${Buffer.from(`${name}:${USERS.find((u) => u.name === name)!.password}`).toString('base64')}`

/** POST /login at the factory's HTTPS listener, verified against the cluster's CA. */
function login(name: string, headers: Record<string, string> = {}) {
  return cluster.https.requestJson('jwt-factory', `${cluster.urls.factoryHttps}/login`, {
    method: 'POST',
    headers: { authorization: basic(name), 'x-audience': 'servicea', ...headers },
  })
}

async function userToken(name: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await login(name, headers)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return (res.body as { access_token: string }).access_token
}

/** A service token from the factory, as servicea gets them (typ JWT, the keyId's key). */
async function serviceToken(keyId: string, claims: Record<string, unknown>): Promise<string> {
  const res = await getJson(`${cluster.urls['jwt-factory']}/issueToken/${keyId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(claims),
  })
  expect(res.status).toBe(200)
  return res.body.access_token
}

const scenario5 = (token: string | undefined, query = '', headers: Record<string, string> = {}) =>
  getJson(`${cluster.urls.servicea}/scenario5${query}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  })

const scenario5Server = (headers: Record<string, string>, query = '') =>
  getJson(`${cluster.urls.serviceb}/scenario5-server${query}`, { headers })

const nowSeconds = () => Math.floor(Date.now() / 1000)
/** The factory's issuers follow the cluster's random port: service tokens, and user tokens. */
const serviceIssuer = () => cluster.urls.factoryHttps
const userIssuer = () => `${cluster.urls.factoryHttps}/users`

function expectServiceClaims(service: any) {
  expect(service.valid).toBe(true)
  expect(service.claims).toMatchObject({ iss: serviceIssuer(), sub: 'servicea', aud: 'serviceb' })
  expect(service.claims.exp).toBeGreaterThan(nowSeconds())
  expect(service.claims).not.toHaveProperty('scope')
}

describe('scenario 5: a user through servicea to serviceb', () => {
  it('admits a user with app-view: the answer holds the claims of both tokens', async () => {
    const { status, body } = await scenario5(await userToken('vera'))
    expect(status).toBe(200)
    expect(Object.keys(body)).toEqual(['valid', 'service', 'user'])
    expect(body.valid).toBe(true)
    expectServiceClaims(body.service)
    expect(body.user.valid).toBe(true)
    expect(body.user.claims).toMatchObject({
      iss: userIssuer(),
      client_id: 'jwt-factory-login',
      sub: 'vera',
      aud: 'servicea',
      scope: 'app-view',
      amr: ['pwd'],
      level: 2,
    })
    expect(body.user.claims.exp).toBeGreaterThan(nowSeconds())
    // Its log line comes over serviceb's own output, maybe after the answer.
    await cluster.untilLogs(() =>
      cluster.logsOf('serviceb').some((l) => l.includes('servicea on behalf of vera admitted')),
    )
  })

  it('takes the user token from the cookie `token` too', async () => {
    const token = await userToken('vera')
    const { status, body } = await scenario5(undefined, '', { cookie: `token=Bearer%20${token}` })
    expect(status).toBe(200)
    expect(body.user.claims).toMatchObject({ sub: 'vera', aud: 'servicea' })
  })

  it('admits a user who logged in with TOTP: amr pwd otp, level 3', async () => {
    const code = totpCode(TOTP_SECRET, Date.now())
    const { status, body } = await scenario5(await userToken('tom', { 'x-totp-code': code }))
    expect(status).toBe(200)
    expect(body.user.claims).toMatchObject({ sub: 'tom', amr: ['pwd', 'otp'], level: 3 })
  })

  it('?trace=1 shows every hop: the user token checked at servicea, the service token, and serviceb checking both', async () => {
    const token = await userToken('vera')
    const { status, body } = await scenario5(token, '?trace=1&fresh=1')
    expect(status).toBe(200)
    expect(body.trace.map((t: any) => `${t.id} ${t.from}->${t.to} ${t.call} ${t.status}`)).toEqual([
      '1 user->servicea GET /scenario5?trace=1&fresh=1 200',
      '1.1 servicea->servicea verify with the user keys at jwt-factory 200',
      '1.2 servicea->jwt-factory POST /issueToken/servicea 200',
      '1.3 servicea->serviceb GET /scenario5-server 200',
      '1.3.1 serviceb->jwt-factory POST /verify/servicea 200',
      '1.3.1.1 jwt-factory->jwt-factory verify with the keys of servicea 200',
      '1.3.2 serviceb->serviceb verify with the user keys at jwt-factory 200',
    ])
    expect(body.trace[1].token).toMatchObject({
      header: { typ: 'at+jwt' },
      claims: { sub: 'vera', aud: 'servicea' },
      source: 'user',
    })
    expect(body.trace[1].verification.checks.map((c: any) => c.status)).not.toContain('failed')
    // The service token is servicea's one cached token for serviceb, shared with scenario 1.
    const again = await scenario5(token, '?trace=1')
    expect(again.body.trace[2]).toMatchObject({
      call: 'reuse cached token',
      token: { source: 'cached', claims: { aud: 'serviceb' } },
    })
    expect(again.body.service.claims.jti).toBe(body.service.claims.jti)
    expect((await getJson(`${cluster.urls.servicea}/scenario1`)).body.claims.jti).toBe(
      body.service.claims.jti,
    )
  })

  it('?fault=jwks:failing or slow: servicea fetches the user key set afresh into the fault and answers 502 or 504 naming the factory; serviceb is never called', async () => {
    const token = await userToken('vera')
    const failing = await scenario5(token, '?fault=jwks:failing&trace=1')
    expect(failing.status).toBe(502)
    expect(failing.body.error).toMatchObject({ code: 'ERR_BAD_GATEWAY', hop: 'jwt-factory' })
    const slow = await scenario5(token, '?fault=jwks:slow&trace=1')
    expect(slow.status).toBe(504)
    expect(slow.body.error).toMatchObject({ code: 'ERR_GATEWAY_TIMEOUT', hop: 'jwt-factory' })
    for (const { body } of [failing, slow]) {
      expect(body.trace.map((t: any) => `${t.id} ${t.call}`)).toEqual([
        '1 GET /scenario5?fault=jwks:' + (body === failing.body ? 'failing' : 'slow') + '&trace=1',
        '1.1 verify with the user keys at jwt-factory',
      ])
    }
    // The fault was that request's alone: the cached set answers the next.
    expect((await scenario5(token)).status).toBe(200)
  })

  it('?verify=jwks: serviceb checks the service token with the JWKS too, with the same answer', async () => {
    const { status, body } = await scenario5(await userToken('vera'), '?verify=jwks&trace=1')
    expect(status).toBe(200)
    expectServiceClaims(body.service)
    const calls = body.trace.map((t: any) => `${t.from}->${t.to} ${t.call}`)
    expect(calls).toContain("serviceb->serviceb verify with servicea's keys at jwt-factory")
    expect(calls.some((c: string) => c.includes('/verify/'))).toBe(false)
  })

  it('?expired=1: servicea sends an expired service token, serviceb refuses with 403', async () => {
    const { status, body } = await scenario5(await userToken('vera'), '?expired=1')
    expect(status).toBe(403)
    expect(body).toMatchObject({
      message: 'invalid service token',
      valid: false,
      service: { valid: false, claims: {} },
    })
    expect(body.service.error).toMatchObject({ name: 'TokenExpiredError', message: 'jwt expired' })
    // serviceb stops at the service token: a caller that is not servicea learns nothing of the user.
    expect(body).not.toHaveProperty('user')
  })

  it('a user without app-view gets 403 from serviceb, with the claims that show why', async () => {
    const { status, body } = await scenario5(await userToken('gus'))
    expect(status).toBe(403)
    expect(body.message).toBe('permission app-view required')
    expectServiceClaims(body.service)
    expect(body.user).toMatchObject({
      valid: false,
      error: {
        name: 'ForbiddenError',
        code: 'ERR_FORBIDDEN',
        message: 'user gus lacks permission app-view',
      },
      claims: { sub: 'gus', aud: 'servicea', scope: '' },
    })
    const direct = await scenario5Server({
      authorization: `Bearer ${await serviceToken('servicea', { aud: 'serviceb' })}`,
      'x-user-authorization': `Bearer ${await userToken('gus')}`,
    })
    expect(direct.status).toBe(403)
    expect(direct.headers.get('www-authenticate')).toBe(
      'Bearer realm="serviceb", error="insufficient_scope", error_description="user gus lacks permission app-view", scope="app-view"',
    )
  })

  it('no user token: 401 from servicea with a WWW-Authenticate challenge, serviceb never called', async () => {
    const rid = `no-user-token-${Date.now()}`
    const { status, body, headers } = await scenario5(undefined, '', { 'x-request-id': rid })
    expect(status).toBe(401)
    expect(headers.get('www-authenticate')).toBe('Bearer realm="servicea"')
    expect(body).toEqual({
      error: {
        name: 'UnauthorizedError',
        code: 'ERR_UNAUTHORIZED',
        message: 'a bearer token is required',
      },
    })
    await cluster.untilLogs(() => cluster.logsOf('servicea').some((l) => l.includes(rid)))
    expect(cluster.logsOf('serviceb').some((l) => l.includes(rid))).toBe(false)
  })

  it('a user token for another audience is refused at servicea (401 invalid_token)', async () => {
    const { status, body, headers } = await scenario5(
      await userToken('vera', { 'x-audience': 'serviceb' }),
    )
    expect(status).toBe(401)
    expect(body.error.message).toBe('jwt audience invalid. expected: servicea')
    expect(headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it("?trace=1 on servicea's refusal: its check of the user token is in the answer, aud failed", async () => {
    const token = await userToken('vera', { 'x-audience': 'serviceb' })
    const { status, body } = await scenario5(token, '?trace=1')
    expect(status).toBe(401)
    expect(body.trace.map((t: any) => `${t.id} ${t.from}->${t.to} ${t.status}`)).toEqual([
      '1 user->servicea 401',
      '1.1 servicea->servicea 403',
    ])
    expect(body.trace[1].verification.failed).toBe('aud')
  })

  it('a service token presented as the user token is refused, at servicea and at serviceb', async () => {
    // Every claim as a user token for servicea would have (a service named vera); only typ (JWT)
    // and the key differ. The key alone is enough: user tokens are checked against the user key set.
    expect((await getJson(`${cluster.urls['jwt-factory']}/keys/vera`)).status).toBeLessThan(300)
    const lookalike = await serviceToken('vera', { aud: 'servicea' })
    const atA = await scenario5(lookalike)
    expect(atA.status).toBe(401)
    expect(atA.body.error.message).toBe('no key matches the token')

    const ownToken = await serviceToken('servicea', { aud: 'serviceb' })
    for (const user of [lookalike, ownToken]) {
      const atB = await scenario5Server({
        authorization: `Bearer ${ownToken}`,
        'x-user-authorization': `Bearer ${user}`,
      })
      expect(atB.status).toBe(403)
      expect(atB.body).toMatchObject({
        message: 'invalid user token',
        valid: false,
        service: { valid: true },
        user: { valid: false, claims: {} },
      })
      expect(atB.body.user.error.message).toBe('no key matches the token')
    }
  })

  it('a user token presented as the service token is refused, by the factory and with the JWKS', async () => {
    // The user named servicea, logged in for serviceb: sub servicea, aud serviceb, the factory's iss.
    const lookalike = await userToken('servicea', { 'x-audience': 'serviceb' })
    const user = `Bearer ${await userToken('vera')}`
    const viaFactory = await scenario5Server({
      authorization: `Bearer ${lookalike}`,
      'x-user-authorization': user,
    })
    expect(viaFactory.status).toBe(403)
    expect(viaFactory.body).toMatchObject({
      message: 'invalid service token',
      valid: false,
      service: { valid: false, claims: {} },
    })
    expect(viaFactory.body).not.toHaveProperty('user')
    const viaJwks = await scenario5Server(
      { authorization: `Bearer ${lookalike}`, 'x-user-authorization': user },
      '?verify=jwks',
    )
    expect(viaJwks.status).toBe(403)
    // servicea's own key set does not hold the user key.
    expect(viaJwks.body.service.error.message).toBe('no key matches the token')
    // And both slots holding the same user token: refused as well.
    const same = await scenario5Server(
      { authorization: user, 'x-user-authorization': user },
      '?verify=jwks',
    )
    expect(same.status).toBe(403)
    expect(same.body.message).toBe('invalid service token')
  })

  it('serviceb called directly: 401 without a service token, 401 without a user token', async () => {
    const user = `Bearer ${await userToken('vera')}`
    const none = await scenario5Server({ 'x-user-authorization': user })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="serviceb"')
    expect(none.body).toMatchObject({
      message: 'no service token',
      valid: false,
      service: { valid: false, error: { message: 'jwt must be provided' } },
    })
    // A service token sent in a cookie is not one: services send Authorization.
    const cookie = await scenario5Server({
      cookie: `token=Bearer%20${await serviceToken('servicea', { aud: 'serviceb' })}`,
      'x-user-authorization': user,
    })
    expect(cookie.status).toBe(401)

    const service = `Bearer ${await serviceToken('servicea', { aud: 'serviceb' })}`
    const noUser = await scenario5Server({ authorization: service })
    expect(noUser.status).toBe(401)
    expect(noUser.body).toMatchObject({
      message: 'no user token',
      valid: false,
      service: { valid: true },
      user: { valid: false, error: { message: 'jwt must be provided' } },
    })
    const ok = await scenario5Server({ authorization: service, 'x-user-authorization': user })
    expect(ok.status).toBe(200)
  })

  it('other services send scenario 5 to servicea', async () => {
    const res = await getJson(`${cluster.urls.serviceb}/scenario5`)
    expect(res.status).toBe(404)
    expect(res.body.error.message).toContain('scenarios run on servicea')
  })

  it('after the user key is rotated at the factory, new and earlier user tokens both get through', async () => {
    const before = await userToken('vera')
    const rotated = await getJson(`${cluster.urls['jwt-factory']}/keys/users`, { method: 'POST' })
    expect(rotated.status).toBe(201)
    const after = await userToken('vera')
    const kidOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid
    expect(kidOf(after)).toBe(rotated.body.kid)
    expect(kidOf(after)).not.toBe(kidOf(before))
    // servicea and serviceb fetch /jwks/users again when a token names a kid they have not
    // seen; with no cooldown (beforeAll), whenever the tests above made them fetch it last.
    for (const token of [after, before]) {
      const { status, body } = await scenario5(token)
      expect(status, JSON.stringify(body)).toBe(200)
      expect(body.user.claims.sub).toBe('vera')
    }
  })

  it('a hop that is down is named: serviceb (502 from servicea), then the factory (502 from serviceb, or servicea)', async () => {
    const token = await userToken('vera')
    expect((await scenario5(token)).status).toBe(200) // servicea holds the JWKS and a service token now
    await cluster.stopProcess('serviceb')
    const noB = await scenario5(token)
    expect(noB.status).toBe(502)
    expect(noB.body.error).toMatchObject({
      name: 'BadGatewayError',
      code: 'ERR_BAD_GATEWAY',
      hop: 'serviceb',
    })
    await cluster.startProcess('serviceb')
    expect((await scenario5(token)).status).toBe(200)

    await cluster.stopProcess('jwt-factory')
    const noFactory = await scenario5(token)
    expect(noFactory.status).toBe(502)
    expect(noFactory.body.error).toMatchObject({ name: 'BadGatewayError', hop: 'jwt-factory' })
    const fresh = await scenario5(token, '?fresh=1')
    expect(fresh.status).toBe(502)
    expect(fresh.body.error.message).toMatch(/^jwt-factory is unreachable/)

    // A servicea that has not fetched the JWKS yet cannot judge the user: its own 502, not a 401.
    await cluster.stopProcess('servicea')
    await cluster.startProcess('servicea')
    const cold = await scenario5(token)
    expect(cold.status).toBe(502)
    expect(cold.body.error).toEqual({
      name: 'BadGatewayError',
      code: 'ERR_BAD_GATEWAY',
      message:
        'servicea cannot check the token: signing keys unavailable: the user keys at jwt-factory',
      hop: 'jwt-factory',
    })
  })
})
