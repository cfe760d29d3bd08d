import crypto, { type ScryptOptions } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { recordingLogger } from '@jwt-factory/server'
import { generateSigningKey, remoteKeys, verifyToken, type SigningKey } from '@jwt-factory/jwt'
import {
  attackCatalogue,
  attackTestName,
  generateAttackerKeys,
  signForged,
  splitToken,
  validToken,
  withSignature,
  type AttackContext,
} from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ClientPublicJwk } from '../src/clients/client-record.ts'
import { JWT_BEARER_ASSERTION } from '../src/oauth/grant.ts'
import { parsePolicy } from '../src/policy/policy-file.ts'
import { createTestFactory, jsonPost, POLICY_FILE } from '../src/test-support.ts'

/**
 * POST /token's client authentication (client_secret_basic, client_secret_post, private_key_jwt)
 * and client_credentials, through app.request() on a factory with its own clients file. The
 * attack catalogue runs at the client assertion: every forged assertion is 401 invalid_client.
 */
type TestFactory = Awaited<ReturnType<typeof createTestFactory>>

const SECRET = 'servicea-secret-0123456789'
/** A secret that needs RFC 6749 §2.3.1's form-urlencoding inside the Basic credential. */
const ODD_SECRET = 'a:b+c d%e/ü-0123456789'
let clock = new Date('2026-06-01T12:00:00Z')
let factory: TestFactory
let lines: string[] = []
let jwtKey: SigningKey
let twoKeys: [SigningKey, SigningKey]
let otherClientKey: SigningKey

beforeAll(async () => {
  const policy = parsePolicy(
    {
      ...JSON.parse(await readFile(POLICY_FILE, 'utf8')),
      services: { reports: { claims: { scope: ['reports:read'], aud: ['archive'] } } },
    },
    'the test policy',
  )
  const logger = recordingLogger((line) => lines.push(line), 'debug')
  factory = await createTestFactory({}, () => clock, { policy, logger })
  ;[jwtKey, otherClientKey, ...twoKeys] = (await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('ES256'),
    generateSigningKey('EdDSA'),
    generateSigningKey('RS256'),
  ])) as [SigningKey, SigningKey, SigningKey, SigningKey]
  await factory.addClient('servicea', { secret: SECRET })
  await factory.addClient('odd.client', { secret: ODD_SECRET })
  await factory.addClient('reports', { secret: SECRET })
  await factory.addClient('signer', { keys: [jwkOf(jwtKey)] })
  await factory.addClient('serviceb', { keys: [jwkOf(otherClientKey)] })
  await factory.addClient('two-keys', { keys: twoKeys.map(jwkOf) })
})

beforeEach(() => {
  clock = new Date(clock.getTime() + 3_600_000) // every test's assertions are new to the replay memory
})

afterAll(() => factory?.cleanup())

const jwkOf = (key: SigningKey) => ({ ...key.publicJwk }) as ClientPublicJwk

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

interface TokenAnswer {
  access_token?: string
  token_type?: string
  expires_in?: number
  scope?: string
  error?: string
  error_description?: string
}

async function token(params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await factory.app.request('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  })
  return { res, status: res.status, body: (await res.json()) as TokenAnswer }
}

const cc = (extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  audience: 'serviceb',
  ...extra,
})

const nowSeconds = () => Math.floor(clock.getTime() / 1000)
let jtiCounter = 0

/** An assertion as openid-client signs one: header { alg, kid } (no typ), a minute long. */
function assertion(key: SigningKey, claims: Record<string, unknown> = {}, header: object = {}) {
  const now = nowSeconds()
  const payload = {
    iss: 'signer',
    sub: 'signer',
    aud: factory.config.serviceIssuer,
    iat: now,
    exp: now + 60,
    jti: `jti-${++jtiCounter}`,
    ...claims,
  }
  return signForged(key, { alg: key.alg, kid: key.kid, ...header }, payload)
}

const withAssertion = (client_assertion: string, extra: Record<string, string> = {}) =>
  cc({ client_assertion_type: JWT_BEARER_ASSERTION, client_assertion, ...extra })

function expectInvalidClient(answer: Awaited<ReturnType<typeof token>>, description?: RegExp) {
  expect(answer.status).toBe(401)
  expect(answer.body.error).toBe('invalid_client')
  expect(answer.res.headers.get('www-authenticate')).toMatch(/^Basic /)
  expect(answer.res.headers.get('cache-control')).toBe('no-store')
  if (description) expect(answer.body.error_description).toMatch(description)
}

/** The token verifies as servicea's at /verify and with the keys /jwks/<client> publishes. */
async function expectServiceToken(accessToken: string, client: string, aud: string | string[]) {
  const keys = remoteKeys(`${factory.config.publicUrl}/jwks/${client}`, {
    algorithms: ['ES256'],
    fetch: (url, init) => Promise.resolve(factory.app.request(url, init)),
  })
  const result = await verifyToken(accessToken, keys, {
    issuer: factory.config.serviceIssuer,
    subject: client,
    audience: Array.isArray(aud) ? aud[0] : aud,
    currentDate: clock,
  })
  expect(result.valid).toBe(true)
  const { claims } = result
  expect(claims).toMatchObject({
    iss: factory.config.serviceIssuer,
    sub: client,
    client_id: client,
  })
  expect(claims.aud).toEqual(aud)
  expect(claims.exp! - claims.iat!).toBe(factory.config.tokenTtlSeconds)
  expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/)
  expect(splitToken(accessToken).header).toMatchObject({ typ: 'JWT' })
  const verify = await factory.app.request(
    `/verify/${client}`,
    jsonPost({ token: accessToken, aud: Array.isArray(aud) ? aud[0] : aud, sub: client }),
  )
  expect(verify.status).toBe(200)
}

describe('POST /token: client_credentials with each client authentication method', () => {
  it('client_secret_basic: a service token for the client, no-store, as RFC 6749 §5.1 answers', async () => {
    const answer = await token(cc(), { authorization: basic('servicea', SECRET) })
    expect(answer.status).toBe(200)
    expect(answer.res.headers.get('cache-control')).toBe('no-store')
    expect(answer.res.headers.get('pragma')).toBe('no-cache')
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: factory.config.tokenTtlSeconds,
    })
    await expectServiceToken(answer.body.access_token!, 'servicea', 'serviceb')
  })

  it('client_secret_basic: the id and secret are form-urlencoded in the credential (RFC 6749 §2.3.1)', async () => {
    const answer = await token(cc(), { authorization: basic('odd.client', ODD_SECRET) })
    expect(answer.status).toBe(200)
    // Not encoded, the same secret is another secret: "+" would be a space.
    const raw = `Basic ${Buffer.from(`odd.client:${ODD_SECRET}`).toString('base64')}`
    expectInvalidClient(await token(cc(), { authorization: raw }))
  })

  it('client_secret_post: client_id and client_secret in the form', async () => {
    const answer = await token(cc({ client_id: 'servicea', client_secret: SECRET }))
    expect(answer.status).toBe(200)
    await expectServiceToken(answer.body.access_token!, 'servicea', 'serviceb')
  })

  it('private_key_jwt: an assertion signed by the registered key, aud the issuer or the token endpoint', async () => {
    for (const aud of [
      factory.config.serviceIssuer,
      factory.config.endpoints.token,
      [factory.config.userIssuer, 'someone-else'],
    ]) {
      const answer = await token(withAssertion(assertion(jwtKey, { aud })))
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      await expectServiceToken(answer.body.access_token!, 'signer', 'serviceb')
    }
    // client_id may come beside it (RFC 7521 §4.2); it must be the assertion's subject.
    expect((await token(withAssertion(assertion(jwtKey), { client_id: 'signer' }))).status).toBe(
      200,
    )
    expectInvalidClient(
      await token(withAssertion(assertion(jwtKey), { client_id: 'serviceb' })),
      /no key matches/,
    )
  })

  it('private_key_jwt: with several keys the kid chooses; without a kid only a single key will do', async () => {
    const [ed, rsa] = twoKeys
    for (const key of [ed, rsa]) {
      const answer = await token(
        withAssertion(assertion(key, { iss: 'two-keys', sub: 'two-keys' })),
      )
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    }
    const noKid = signForged(
      ed,
      { alg: ed.alg },
      {
        iss: 'two-keys',
        sub: 'two-keys',
        aud: factory.config.serviceIssuer,
        exp: nowSeconds() + 60,
        jti: 'x',
      },
    )
    expectInvalidClient(await token(withAssertion(noKid)), /no key matches/)
    const single = signForged(
      jwtKey,
      { alg: jwtKey.alg },
      {
        iss: 'signer',
        sub: 'signer',
        aud: factory.config.serviceIssuer,
        exp: nowSeconds() + 60,
        jti: 'y',
      },
    )
    expect((await token(withAssertion(single))).status).toBe(200)
  })

  it('a client added to the clients file authenticates at the next request, no restart', async () => {
    expectInvalidClient(await token(cc(), { authorization: basic('newcomer', SECRET) }))
    await factory.addClient('newcomer', { secret: SECRET })
    expect((await token(cc(), { authorization: basic('newcomer', SECRET) })).status).toBe(200)
  })
})

describe('POST /token: who may not authenticate', () => {
  it('a wrong secret and an unknown client get the same 401 invalid_client with WWW-Authenticate', async () => {
    const wrong = await token(cc(), { authorization: basic('servicea', 'not-the-secret-at-all') })
    const unknown = await token(cc(), { authorization: basic('nobody', SECRET) })
    const post = await token(cc({ client_id: 'servicea', client_secret: 'not-the-secret-at-all' }))
    const keysOnly = await token(cc({ client_id: 'signer', client_secret: SECRET }))
    for (const answer of [wrong, unknown, post, keysOnly]) expectInvalidClient(answer)
    expect(new Set([wrong, unknown, post, keysOnly].map((a) => a.body.error_description))).toEqual(
      new Set(['client authentication failed: unknown client or wrong secret']),
    )
  })

  it('an unknown client, and one registered with keys, cost one scrypt run as a wrong secret does', async () => {
    await token(cc(), { authorization: basic('warm-up', SECRET) }) // the dummy hash, made once
    // node's own scrypt, wrapped to record each call's cost parameters (as routes/login.test.ts).
    const scrypt = vi.spyOn(crypto, 'scrypt')
    syncBuiltinESMExports()
    try {
      const costOf = async (id: string) => {
        scrypt.mockClear()
        expectInvalidClient(await token(cc(), { authorization: basic(id, 'not-the-secret-1234') }))
        return scrypt.mock.calls.map(([, , keyLength, options]) => {
          const { N, r, p } = options as ScryptOptions
          return { N, r, p, keyLength }
        })
      }
      const wrongSecret = await costOf('servicea')
      expect(wrongSecret).toEqual([{ N: 2 ** 15, r: 8, p: 1, keyLength: 32 }])
      expect(await costOf('nobody')).toEqual(wrongSecret)
      expect(await costOf('signer')).toEqual(wrongSecret)
    } finally {
      scrypt.mockRestore()
      syncBuiltinESMExports()
    }
  })

  it('a secret already verified costs no scrypt run the next time; a new secret is checked afresh', async () => {
    await factory.addClient('frequent', { secret: SECRET })
    const scrypt = vi.spyOn(crypto, 'scrypt')
    syncBuiltinESMExports()
    try {
      const runsFor = async (secret: string, status: number) => {
        scrypt.mockClear()
        const answer = await token(cc(), { authorization: basic('frequent', secret) })
        expect(answer.status, JSON.stringify(answer.body)).toBe(status)
        return scrypt.mock.calls.length
      }
      expect(await runsFor(SECRET, 200)).toBe(1)
      expect(await runsFor(SECRET, 200)).toBe(0)
      expect(await runsFor(SECRET, 200)).toBe(0)
      // A wrong secret is never taken for the remembered one, and still costs its scrypt run.
      expect(await runsFor(`${SECRET}x`, 401)).toBe(1)
      // A new secret in the file (rotate-secret) is a new hash: the old secret no longer passes.
      await factory.addClient('frequent', { secret: `${SECRET}-rotated` })
      expect(await runsFor(SECRET, 401)).toBe(1)
      expect(await runsFor(`${SECRET}-rotated`, 200)).toBe(1)
    } finally {
      scrypt.mockRestore()
      syncBuiltinESMExports()
    }
  })

  it("attack: guessing a client's secret → 429 with Retry-After once its failures reach LOGIN_MAX_FAILURES_PER_USER, then 401s again after the window", async () => {
    await factory.addClient('guessed', { secret: SECRET })
    const limit = factory.config.loginMaxFailuresPerUser
    for (let i = 0; i < limit; i++) {
      expectInvalidClient(
        await token(cc(), { authorization: basic('guessed', `guess-${i}-0123456789`) }),
      )
    }
    const throttled = await token(cc(), { authorization: basic('guessed', SECRET) })
    expect(throttled.status).toBe(429)
    expect(throttled.body.error).toBe('invalid_request')
    expect(Number(throttled.res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(throttled.res.headers.get('cache-control')).toBe('no-store')
    // Another client is not locked out by it.
    expect((await token(cc(), { authorization: basic('servicea', SECRET) })).status).toBe(200)
    clock = new Date(clock.getTime() + (factory.config.loginFailureWindowSeconds + 1) * 1000)
    expect((await token(cc(), { authorization: basic('guessed', SECRET) })).status).toBe(200)
  })

  it('no client authentication at all, or another scheme than Basic, is 401 invalid_client', async () => {
    expectInvalidClient(await token(cc()), /no client authentication/)
    expectInvalidClient(await token(cc({ client_id: 'servicea' })), /no client authentication/)
    expectInvalidClient(await token(cc(), { authorization: 'Bearer abc' }), /Basic scheme/)
    expectInvalidClient(await token(cc(), { authorization: 'Basic !!!' }), /Basic/)
  })

  it('two methods in one request are 400 invalid_request (RFC 6749 §2.3)', async () => {
    const answer = await token(cc({ client_id: 'servicea', client_secret: SECRET }), {
      authorization: basic('servicea', SECRET),
    })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_request')
    const both = await token(withAssertion(assertion(jwtKey), { client_secret: SECRET }))
    expect(both.body.error).toBe('invalid_request')
  })

  it('attack: a replayed client assertion → 401 invalid_client', async () => {
    const used = assertion(jwtKey)
    expect((await token(withAssertion(used))).status).toBe(200)
    expectInvalidClient(await token(withAssertion(used)), /already used/)
    // The same assertion spelt another way (the high-S twin of its signature) is the same jti.
    const { signature } = splitToken(used)
    const respelt = withSignature(used, `${signature.toString('base64url')}=`)
    expectInvalidClient(await token(withAssertion(respelt)))
  })

  it('attack: an assertion without jti → 401 invalid_client', async () => {
    expectInvalidClient(
      await token(withAssertion(assertion(jwtKey, { jti: undefined }))),
      /jti required/,
    )
  })

  it('attack: an assertion living longer than five minutes → 401 invalid_client', async () => {
    const long = assertion(jwtKey, { exp: nowSeconds() + 3600 })
    expectInvalidClient(await token(withAssertion(long)), /more than 300 s/)
  })

  it('attack: an assertion for another audience → 401 invalid_client', async () => {
    for (const aud of ['https://other.example', factory.config.endpoints.introspection + 'x']) {
      expectInvalidClient(await token(withAssertion(assertion(jwtKey, { aud }))), /aud must name/)
    }
  })

  it('attack: a user access token (typ at+jwt) signed with the client key as assertion → 401 invalid_client', async () => {
    const typed = assertion(jwtKey, {}, { typ: 'at+jwt' })
    expectInvalidClient(await token(withAssertion(typed)), /not an assertion/)
  })

  it('attack: an assertion of a client registered with a secret → 401 invalid_client', async () => {
    const key = await generateSigningKey('ES256')
    const forged = assertion(key, { iss: 'servicea', sub: 'servicea' })
    expectInvalidClient(await token(withAssertion(forged)), /no client registered with public keys/)
  })

  it('a wrong client_assertion_type or a missing assertion is 401 invalid_client', async () => {
    const wrongType = await token(
      cc({ client_assertion_type: 'urn:other', client_assertion: assertion(jwtKey) }),
    )
    expectInvalidClient(wrongType, /client_assertion_type/)
    expectInvalidClient(
      await token(cc({ client_assertion_type: JWT_BEARER_ASSERTION })),
      /is missing/,
    )
  })
})

describe('attack catalogue at the client assertion (private_key_jwt)', async () => {
  /**
   * Left out, because RFC 7523 §3 makes them valid assertions: iat is optional, and no typ is
   * defined (openid-client and oauth4webapi sign none).
   */
  const NOT_ATTACKS_HERE = new Set(['missing-iat', 'typ-missing'])
  const sampleKey = await generateSigningKey('ES256')
  const sample: AttackContext = {
    key: sampleKey,
    otherServiceKey: sampleKey,
    claims: { iss: 'signer', sub: 'signer', aud: 'a' },
    attacker: await generateAttackerKeys(),
  }
  const titles = attackCatalogue(sample).filter((a) => !NOT_ATTACKS_HERE.has(a.id))
  let context: AttackContext

  beforeAll(async () => {
    context = {
      key: jwtKey,
      otherServiceKey: otherClientKey,
      otherAudience: 'https://other.example/token',
      claims: { iss: 'signer', sub: 'signer', aud: factory.config.serviceIssuer },
      attacker: await generateAttackerKeys(),
      now: clock,
      clockToleranceSeconds: factory.config.clockToleranceSeconds,
    }
  })

  it('control: a valid assertion built the catalogue way is accepted', async () => {
    context.now = clock
    const answer = await token(withAssertion(validToken(context, { jti: 'control' })))
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  })

  for (const { id, title, expect: expected, oversized } of titles) {
    const name = oversized
      ? attackTestName({ title, expect: expected }, 413, 'invalid_request')
      : attackTestName({ title, expect: expected }, 401, 'invalid_client')
    it(name, async () => {
      context.now = clock
      const attack = attackCatalogue(context).find((a) => a.id === id)!
      const answer = await token(withAssertion(attack.token))
      if (oversized) {
        expect(answer.status).toBe(413)
        expect(answer.body.error).toBe('invalid_request')
      } else {
        expectInvalidClient(answer)
      }
      expect(answer.body.access_token).toBeUndefined()
    })
  }
})

describe('POST /token: requests that are not a token request', () => {
  const auth = () => ({ authorization: basic('servicea', SECRET) })

  it('an unknown grant_type is 400 unsupported_grant_type, a missing one invalid_request', async () => {
    const unknown = await token(cc({ grant_type: 'password' }), auth())
    expect(unknown.status).toBe(400)
    expect(unknown.body.error).toBe('unsupported_grant_type')
    const { grant_type: _, ...without } = cc()
    const missing = await token(without, auth())
    expect(missing.status).toBe(400)
    expect(missing.body).toEqual({
      error: 'invalid_request',
      error_description: 'parameter "grant_type" is missing',
    })
  })

  it('a parameter sent twice, and a JSON body, are 400 invalid_request', async () => {
    const twice = await factory.app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth() },
      body: 'grant_type=client_credentials&audience=serviceb&audience=servicec',
    })
    expect(twice.status).toBe(400)
    expect(await twice.json()).toMatchObject({ error: 'invalid_request' })
    const json = await factory.app.request('/token', jsonPost(cc(), auth()))
    expect(json.status).toBe(400)
    expect(await json.json()).toMatchObject({ error: 'invalid_request' })
  })
})

describe('client_credentials: audience, resource and scope', () => {
  const auth = () => ({ authorization: basic('servicea', SECRET) })

  it('resource (RFC 8707) sets aud; audience and resource together make two', async () => {
    const resource = 'https://orders.example/api'
    const one = await token({ grant_type: 'client_credentials', resource }, auth())
    expect(one.status).toBe(200)
    await expectServiceToken(one.body.access_token!, 'servicea', resource)
    const two = await token(cc({ resource }), auth())
    await expectServiceToken(two.body.access_token!, 'servicea', ['serviceb', resource])
  })

  it('no audience, a relative resource or one with a fragment is 400 invalid_target', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ grant_type: 'client_credentials' }, /say who the token is for/],
      [{ grant_type: 'client_credentials', resource: '/api/orders' }, /absolute URI/],
      [{ grant_type: 'client_credentials', resource: 'https://a.example/#x' }, /fragment/],
      [cc({ audience: 'two words' }), /no spaces/],
    ]
    for (const [params, description] of cases) {
      const answer = await token(params, auth())
      expect(answer.status).toBe(400)
      expect(answer.body.error).toBe('invalid_target')
      expect(answer.body.error_description).toMatch(description)
    }
  })

  it('scope is carried when asked; the claim policy refuses a scope (invalid_scope) and an audience (invalid_target)', async () => {
    const reports = { authorization: basic('reports', SECRET) }
    const allowed = await token(cc({ audience: 'archive', scope: 'reports:read' }), reports)
    expect(allowed.status).toBe(200)
    expect(allowed.body.scope).toBe('reports:read')
    expect(splitToken(allowed.body.access_token!).payload).toMatchObject({
      scope: 'reports:read',
      aud: 'archive',
      sub: 'reports',
      client_id: 'reports',
    })
    const scope = await token(cc({ audience: 'archive', scope: 'reports:write' }), reports)
    expect(scope.status).toBe(400)
    expect(scope.body.error).toBe('invalid_scope')
    expect(scope.body.error_description).toMatch(/"reports:write"/)
    const aud = await token(cc({ audience: 'serviceb', scope: 'reports:read' }), reports)
    expect(aud.body.error).toBe('invalid_target')
    const syntax = await token(cc({ scope: 'a  b' }), auth())
    expect(syntax.body.error).toBe('invalid_scope')
  })
})

describe('logs', () => {
  it('no client secret and no assertion appears in any log line', async () => {
    const used = assertion(jwtKey)
    await token(withAssertion(used))
    await token(cc(), { authorization: basic('servicea', SECRET) })
    await token(cc({ client_id: 'servicea', client_secret: 'wrong-secret-logged?' }))
    await token(cc(), { authorization: basic('odd.client', ODD_SECRET) })
    const text = lines.join('\n')
    expect(text).toContain('/token')
    for (const secret of [
      SECRET,
      ODD_SECRET,
      'wrong-secret-logged?',
      used,
      splitToken(used).segments[2],
    ])
      expect(text).not.toContain(secret)
    expect(text).not.toContain(basic('servicea', SECRET).slice(6))
  })
})
