import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hashPassword, updateUsersFile, type UserRecord } from '@jwt-factory/factory'
import { createHttpClient } from '@jwt-factory/http-client'
import { signingKeyFromPem, signToken, USER_TOKEN_TYPE } from '@jwt-factory/jwt'
import { silentLogger } from '@jwt-factory/server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { readClientSecret } from '../src/peers/client-secret.ts'
import { createServiceApp, loadConfig, Scenario3Keys } from '../src/index.ts'
import { Cluster, getJson, root } from './cluster.ts'

/**
 * Scenario 6 end to end: a user logs in at the real factory (HTTPS) for servicea; servicea
 * exchanges the token at the factory's POST /token for serviceb (RFC 8693, as the demo client
 * servicea with its secret from the cluster's client-secrets folder), serviceb verifies it and
 * exchanges it for servicec, servicec verifies it and answers. Real processes, real TLS.
 */
let cluster: Cluster
const USERS = [
  { name: 'vera', password: 'vera-password-1', roles: ['viewer'] },
  { name: 'ada', password: 'ada-password-1', roles: ['admin'] },
]

beforeAll(async () => {
  cluster = await Cluster.start()
  // Written while the factory runs, as `npm run users` does: it reloads the file on change.
  const time = new Date().toISOString()
  const records: UserRecord[] = []
  for (const u of USERS) {
    const password = await hashPassword(u.password)
    records.push({ ...u, password, locked: false, created: time, updated: time })
  }
  await updateUsersFile(join(cluster.dir, 'users.json'), () => records)
  await vi.waitFor(async () => expect((await login('vera')).status).toBe(200), {
    timeout: 10_000,
    interval: 100,
  })
})
afterAll(() => cluster?.stop())

const basic = (name: string) =>
  `Basic ${Buffer.from(`${name}:${USERS.find((u) => u.name === name)!.password}`).toString('base64')}`

function login(name: string, audience = 'servicea') {
  return cluster.https.requestJson('jwt-factory', `${cluster.urls.factoryHttps}/login`, {
    method: 'POST',
    headers: { authorization: basic(name), 'x-audience': audience },
  })
}

async function userToken(name: string, audience?: string): Promise<string> {
  const res = await login(name, audience)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return (res.body as { access_token: string }).access_token
}

const scenario6 = (token: string, query = '') =>
  getJson(`${cluster.urls.servicea}/scenario6${query}`, {
    headers: { authorization: `Bearer ${token}` },
  })

const userIssuer = () => `${cluster.urls.factoryHttps}/users`

describe('scenario 6: a user through servicea → serviceb → servicec, the token exchanged at each hop', () => {
  it("servicec sees the user as sub and the chain in act; each hop's token was for that hop alone", async () => {
    const { status, body } = await scenario6(await userToken('vera'))
    expect(status, JSON.stringify(body)).toBe(200)
    expect(body).toMatchObject({ valid: true, by: 'serviceb' })
    expect(body.claims).toMatchObject({
      iss: userIssuer(),
      sub: 'vera',
      aud: 'serviceb',
      client_id: 'servicea',
      act: { sub: 'servicea' },
      scope: 'app-view',
    })
    expect(body.servicec).toMatchObject({ valid: true, by: 'servicec' })
    expect(body.servicec.claims).toMatchObject({
      iss: userIssuer(),
      sub: 'vera',
      aud: 'servicec',
      client_id: 'serviceb',
      act: { sub: 'serviceb', act: { sub: 'servicea' } },
      scope: 'app-view',
      amr: ['pwd'],
    })
    // Never longer than the user's own token: the exchanges cannot extend a session.
    expect(body.servicec.claims.exp).toBeLessThanOrEqual(body.claims.exp)
    await cluster.untilLogs(() =>
      cluster
        .logsOf('servicec')
        .some((l) => l.includes('vera admitted through serviceb ← servicea')),
    )
  })

  it('?trace=1 shows both exchanges at the factory and every check', async () => {
    const { status, body } = await scenario6(await userToken('ada'), '?trace=1')
    expect(status).toBe(200)
    expect(body.trace.map((t: any) => `${t.id} ${t.from}->${t.to} ${t.call} ${t.status}`)).toEqual([
      '1 user->servicea GET /scenario6?trace=1 200',
      '1.1 servicea->servicea verify with the user keys at jwt-factory 200',
      '1.2 servicea->jwt-factory POST /token (token exchange for serviceb) 200',
      '1.3 servicea->serviceb GET /scenario6-server 200',
      '1.3.1 serviceb->serviceb verify with the user keys at jwt-factory 200',
      '1.3.2 serviceb->jwt-factory POST /token (token exchange for servicec) 200',
      '1.3.3 serviceb->servicec GET /scenario6-server 200',
      '1.3.3.1 servicec->servicec verify with the user keys at jwt-factory 200',
    ])
    // The act chain is each hop's last check, in the checklist of its one verification.
    const actCheck = (id: string) =>
      body.trace.find((t: any) => t.id === id).verification.checks.at(-1)
    expect(actCheck('1.3.1')).toEqual({
      name: 'act',
      status: 'passed',
      expected: 'servicea',
      seen: 'servicea',
    })
    expect(actCheck('1.3.3.1')).toMatchObject({
      name: 'act',
      status: 'passed',
      expected: 'serviceb ← servicea',
    })
    expect(body.trace[1].verification.checks.map((c: any) => c.name)).not.toContain('act')
    // The exchange's span shows the token it produced, decoded: the new audience and the actor.
    expect(body.trace[2].token).toMatchObject({
      header: { typ: 'at+jwt' },
      claims: { sub: 'ada', aud: 'serviceb', act: { sub: 'servicea' } },
      source: 'issued',
    })
  })

  it("?skip=1: servicea asks for servicec straight away; the exchange policy refuses, 403 with the factory's invalid_target", async () => {
    const { status, body } = await scenario6(await userToken('vera'), '?skip=1&trace=1')
    expect(status).toBe(403)
    expect(body.error).toMatchObject({ name: 'TokenExchangeRefusedError', code: 'ERR_FORBIDDEN' })
    expect(body.error.message).toMatch(/jwt-factory refused to exchange the token for servicec/)
    expect(body.oauth).toEqual({
      error: 'invalid_target',
      error_description:
        'client servicea may not exchange a token for audience servicec (the exchange policy allows serviceb)',
    })
    // Refused at the factory: servicec was never called.
    expect(body.trace.map((t: any) => `${t.from}->${t.to} ${t.call} ${t.status}`)).toEqual([
      'user->servicea GET /scenario6?skip=1&trace=1 403',
      'servicea->servicea verify with the user keys at jwt-factory 200',
      'servicea->jwt-factory POST /token (token exchange for servicec) 400',
    ])
  })

  it("a user token for another audience: servicea refuses one for serviceb, and serviceb refuses it without servicea's act", async () => {
    const forB = await userToken('vera', 'serviceb')
    const atA = await scenario6(forB)
    expect(atA.status).toBe(401)
    expect(atA.body.error.message).toMatch(/aud/)
    // Straight to serviceb with a login token for it: valid, but nobody acted, so no way in.
    const atB = await getJson(`${cluster.urls.serviceb}/scenario6-server`, {
      headers: { authorization: `Bearer ${forB}` },
    })
    expect(atB.status).toBe(403)
    expect(atB.body).toMatchObject({
      message: 'invalid token',
      valid: false,
      error: {
        name: 'JsonWebTokenError',
        code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
        message: 'jwt act chain invalid. expected: servicea, seen: none',
      },
    })
  })

  it("attack: serviceb exchanges a user's login token for servicec itself, skipping servicea → 403 at servicec, its act check naming the chain", async () => {
    // The factory's policy lets serviceb exchange for servicec, and the login token is for
    // serviceb: the exchange succeeds, but the token's chain says servicea never acted.
    const secret = (await readFile(join(cluster.dir, 'client-secrets', 'serviceb'), 'utf8')).trim()
    const exchanged = await cluster.https.requestJson(
      'jwt-factory',
      `${cluster.urls.factoryHttps}/token`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`serviceb:${secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: await userToken('vera', 'serviceb'),
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          audience: 'servicec',
        }),
      },
    )
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200)
    const token = (exchanged.body as { access_token: string }).access_token
    const atC = await getJson(`${cluster.urls.servicec}/scenario6-server`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(atC.status).toBe(403)
    expect(atC.body.error).toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      message: 'jwt act chain invalid. expected: serviceb ← servicea, seen: serviceb',
    })
    // RFC 6750's challenge carries it in ASCII: the arrow spelled <-.
    expect(atC.headers.get('www-authenticate')).toBe(
      'Bearer realm="servicec", error="invalid_token", error_description="jwt act chain invalid. expected: serviceb <- servicea, seen: serviceb"',
    )
  })

  it('an expired user token is refused at servicea before anything is exchanged', async () => {
    // Signed by the factory's own user key with the claims of a real login, only an hour old.
    const pem = await readFile(join(cluster.dir, 'keys', 'users', 'users-private.pem'), 'utf8')
    const key = await signingKeyFromPem(pem, 'ES256')
    const { token } = await signToken(
      key,
      { iss: userIssuer(), sub: 'vera', aud: 'servicea', client_id: 'jwt-factory-login' },
      { ttlSeconds: 600, now: new Date(Date.now() - 3600_000), typ: USER_TOKEN_TYPE },
    )
    const { status, body, headers } = await scenario6(token, '?trace=1')
    expect(status).toBe(401)
    expect(headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    expect(body.error.message).toBe('jwt expired')
    expect(body.trace.some((t: any) => t.call.startsWith('POST /token'))).toBe(false)
  })

  it('a servicea without its client secret still starts, and scenario 6 answers 503 saying how to make one', async () => {
    const missing = join(cluster.dir, 'client-secrets', 'not-written')
    const clientSecret = await readClientSecret(missing, 'servicea', silentLogger())
    expect(clientSecret).toBeUndefined()
    const res = await inProcessServicea(missing, clientSecret)
    expect(res.status).toBe(503)
    expect(res.body.error.code).toBe('ERR_UNAVAILABLE')
    expect(res.body.error.message).toContain(missing)
    expect(res.body.error.message).toContain('npm start')
    expect(res.body.error.message).toContain('npm run clients -- add servicea')
  })

  it("a wrong client secret is the factory's invalid_client, and servicea's 502 naming the factory", async () => {
    const res = await inProcessServicea(
      join(cluster.dir, 'client-secrets', 'servicea'),
      'wrong-secret-0123456789',
    )
    expect(res.status).toBe(502)
    expect(res.body.error).toMatchObject({ code: 'ERR_BAD_GATEWAY', hop: 'jwt-factory' })
    expect(res.body.error.message).toMatch(/\(401\): invalid_client: /)
  })
})

/** servicea built in this process against the cluster's factory, with the given secret (or none). */
async function inProcessServicea(secretFile: string, clientSecret: string | undefined) {
  const config = loadConfig(
    {
      SERVICE_NAME: 'servicea',
      FACTORY_URL: cluster.urls.factoryHttps,
      CERTS_DIR: join(cluster.dir, 'certs'),
      SCENARIO3_KEYS_DIR: join(cluster.dir, 'scenario-3-keys'),
      CLIENT_SECRET_FILE: secretFile,
      LOG_LEVEL: 'silent',
    },
    join(root, 'apps/service'),
  )
  const logger = silentLogger()
  const http = createHttpClient({ caPem: cluster.caPem })
  try {
    const scenario3 = await Scenario3Keys.open({
      ...config.scenario3,
      dir: config.scenario3.keysDir,
      logger,
      signer: true,
    })
    const app = createServiceApp(config, {
      http,
      logger,
      scenario3,
      ...(clientSecret ? { clientSecret } : {}),
    })
    const res = await app.request('/scenario6', {
      headers: { authorization: `Bearer ${await userToken('vera')}` },
    })
    return { status: res.status, body: (await res.json()) as { error: Record<string, string> } }
  } finally {
    await http.close()
  }
}
