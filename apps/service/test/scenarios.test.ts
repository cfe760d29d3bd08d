import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster, getJson } from './cluster.ts'

let cluster: Cluster
beforeAll(async () => {
  // serviceb re-reads the scenario-3 public key at the first token naming a kid it lacks, not
  // once its 1 s cooldown has passed: POST /gen-keys below needs no wait.
  cluster = await Cluster.start({ env: { serviceb: { KEYS_RELOAD_COOLDOWN_MS: '0' } } })
})
afterAll(() => cluster?.stop())

const a = (path: string) => getJson(`${cluster.urls.servicea}${path}`)
/** The factory's service issuer: its public URL, which follows the cluster's random port. */
const factoryIssuer = () => cluster.urls.factoryHttps
const nowSeconds = () => Math.floor(Date.now() / 1000)

function expectValid(result: any, aud: string, iss: string) {
  expect(result.valid).toBe(true)
  expect(result.claims).toMatchObject({ iss, sub: 'servicea', aud })
  expect(result.claims.exp).toBeGreaterThan(nowSeconds())
  expect(result.claims.iat).toBeLessThanOrEqual(nowSeconds() + 1)
}

function expectExpired(result: any) {
  expect(result).toMatchObject({ message: 'invalid token', valid: false, claims: {} })
  expect(result.error).toMatchObject({ name: 'TokenExpiredError', message: 'jwt expired' })
  expect(Date.parse(result.error.expiredAt)).toBeLessThan(Date.now() - 3_500_000)
}

describe('scenarios 1-4 over HTTPS, end to end', () => {
  it('scenario 1: a factory token for serviceb, verified by the factory', async () => {
    const { status, body } = await a('/scenario1')
    expect(status).toBe(200)
    expect(Object.keys(body)).toEqual(['valid', 'claims'])
    expectValid(body, 'serviceb', factoryIssuer())
  })

  it('scenario 1 expired: serviceb refuses with 403 and the original error', async () => {
    const { status, body } = await a('/scenario1?expired=1')
    expect(status).toBe(403)
    expectExpired(body)
  })

  it('scenario 3: servicea signs with its own key, serviceb verifies with the public key', async () => {
    const { status, body } = await a('/scenario3')
    expect(status).toBe(200)
    expectValid(body, 'serviceb', 'https://service-issuer')
    expect(body.claims.exp - body.claims.iat).toBe(60)
    const expired = await a('/scenario3?expired=1')
    expect(expired.status).toBe(403)
    expectExpired(expired.body)
  })

  // Scenarios 2 and 4 are 1 and 3 with servicec as a second audience: they answer alike and differ
  // only in who signs (the factory, or servicea with its own key), so one test body serves both.
  // A loop, not it.each, which would quote and shorten these titles in the report.
  for (const { title, path, iss } of [
    {
      title: 'scenario 2: tokens for serviceb and servicec; with expired=1 only servicec refuses',
      path: '/scenario2',
      iss: factoryIssuer,
    },
    {
      title: 'scenario 4: one local token for each; with expired=1 only servicec refuses',
      path: '/scenario4',
      iss: () => 'https://service-issuer',
    },
  ]) {
    it(title, async () => {
      const ok = await a(path)
      expect(ok.status).toBe(200)
      expectValid(ok.body.serviceb, 'serviceb', iss())
      expectValid(ok.body.servicec, 'servicec', iss())
      const expired = await a(`${path}?expired=1`)
      expect(expired.status).toBe(403)
      expectValid(expired.body.serviceb, 'serviceb', iss())
      expectExpired(expired.body.servicec)
    })
  }

  it('?trace=1 lists every hop, including serviceb asking the factory, without changing the rest', async () => {
    const { status, body } = await a('/scenario1?trace=1&fresh=1')
    expect(status).toBe(200)
    expect(body.valid).toBe(true)
    const hops = body.trace.map((t: any) => `${t.id} ${t.from}->${t.to} ${t.call} ${t.status}`)
    // Each call before the hops it contains: serviceb asks the factory inside servicea's call.
    expect(hops).toEqual([
      '1 user->servicea GET /scenario1?trace=1&fresh=1 200',
      '1.1 servicea->jwt-factory POST /issueToken/servicea 200',
      '1.2 servicea->serviceb GET /scenario1-server 200',
      '1.2.1 serviceb->jwt-factory POST /verify/servicea 200',
      '1.2.1.1 jwt-factory->jwt-factory verify with the keys of servicea 200',
    ])
    expect(body.trace[1].token).toMatchObject({
      header: { alg: 'ES256', typ: 'JWT' },
      claims: { sub: 'servicea', aud: 'serviceb' },
      expired: false,
      source: 'issued',
    })
    expect(body.trace[4].verification.checks.every((c: any) => c.status === 'passed')).toBe(true)
    for (const hop of body.trace) expect(typeof hop.ms).toBe('number')
  })

  it("reuses servicea's token until close to expiry; expired=1 and fresh=1 always ask the factory", async () => {
    const first = await a('/scenario1?trace=1&fresh=1')
    const again = await a('/scenario1?trace=1')
    expect(again.body.trace[1]).toMatchObject({
      kind: 'reuse',
      from: 'servicea',
      to: 'servicea',
      call: 'reuse cached token',
      token: { source: 'cached' },
    })
    expect(again.body.claims.jti).toBe(first.body.claims.jti)
    const expired = await a('/scenario1?trace=1&expired=1')
    expect(expired.body.trace[1]).toMatchObject({
      to: 'jwt-factory',
      token: { source: 'issued', expired: true },
    })
    const after = await a('/scenario1?trace=1')
    expect(after.body.claims.jti).toBe(first.body.claims.jti)
  })

  it("?verify=jwks: serviceb verifies with the factory's JWKS instead of calling /verify", async () => {
    const { status, body } = await a('/scenario2?verify=jwks&trace=1')
    expect(status).toBe(200)
    expectValid(body.serviceb, 'serviceb', factoryIssuer())
    expectValid(body.servicec, 'servicec', factoryIssuer())
    const calls = body.trace.map((t: any) => `${t.from}->${t.to} ${t.call}`)
    expect(calls).toContain("serviceb->serviceb verify with servicea's keys at jwt-factory")
    expect(calls.some((c: string) => c.includes('/verify/'))).toBe(false)
    const expired = await a('/scenario2?verify=jwks&expired=1')
    expect(expired.status).toBe(403)
    expectExpired(expired.body.servicec)
  })

  it('the verifying side answers 401 with a WWW-Authenticate challenge when there is no token', async () => {
    for (const n of [1, 3]) {
      const { status, body, headers } = await getJson(
        `${cluster.urls.serviceb}/scenario${n}-server`,
      )
      expect(status).toBe(401)
      expect(body.error.message).toBe('jwt must be provided')
      expect(headers.get('www-authenticate')).toBe('Bearer realm="serviceb"')
    }
    const res = await getJson(`${cluster.urls.serviceb}/scenario3-server`, {
      headers: { authorization: 'Bearer not.a.jwt' },
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('a token for serviceb replayed to servicec is refused (audience)', async () => {
    const issued = await cluster.https.requestJson(
      'jwt-factory',
      `${cluster.urls.factoryHttps}/issueToken/servicea`,
      { body: { aud: 'serviceb' } },
    )
    const token = (issued.body as { access_token: string }).access_token
    const res = await getJson(`${cluster.urls.servicec}/scenario1-server`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(403)
    expect(res.body.error.message).toBe('jwt audience invalid. expected: servicec')
  })

  it('scenarios run only on servicea', async () => {
    const { status, body } = await getJson(`${cluster.urls.serviceb}/scenario1`)
    expect(status).toBe(404)
    expect(body.error.message).toContain('servicea')
  })

  it('POST /gen-keys makes a new scenario-3 key that serviceb picks up without a restart', async () => {
    const before = await a('/scenario3?trace=1')
    const res = await getJson(`${cluster.urls.servicea}/gen-keys`, { method: 'POST' })
    expect(res.status).toBe(201)
    expect(res.body.kid).not.toBe(before.body.trace[1].token.header.kid)
    const after = await a('/scenario3?trace=1')
    expect(after.status).toBe(200)
    expect(after.body.trace[1].token.header.kid).toBe(res.body.kid)
  })

  it('logs tell the story with one request id across hops, and never a whole token', async () => {
    const { headers } = await getJson(`${cluster.urls.servicea}/scenario1?fresh=1`, {
      headers: { 'x-request-id': 'story-1' },
    })
    expect(headers.get('x-request-id')).toBe('story-1')
    const storyOf = () =>
      cluster.logs
        .filter((l) => l.line.includes('"rid":"story-1"'))
        .map((l) => `${l.name}: ${JSON.parse(l.line).msg}`)
    // Each process logs a request as it answers it; their lines come over four pipes.
    const told = (name: string) => (s: string) => s.startsWith(`${name}: GET /scenario1`)
    await cluster.untilLogs(() => {
      const lines = storyOf()
      return (
        lines.some(told('servicea')) &&
        lines.some(told('serviceb')) &&
        lines.filter((s) => s.startsWith('jwt-factory: POST /')).length >= 2
      )
    })
    const story = storyOf()
    expect(story).toContain('servicea: servicea → jwt-factory: token for aud=serviceb')
    expect(
      story.some((s) =>
        /^serviceb: serviceb: token from servicea valid \(kid [\w-]{43}\)$/.test(s),
      ),
    ).toBe(true)
    expect(story.filter((s) => s.startsWith('jwt-factory: POST /')).length).toBe(2)
    expect(cluster.logs.some((l) => /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(l.line))).toBe(false)
  })
})
