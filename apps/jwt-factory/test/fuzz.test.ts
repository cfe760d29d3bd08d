import { MAX_TOKEN_LENGTH } from '@jwt-factory/jwt'
import { attackCatalogue, generateAttackerKeys, validToken } from '@jwt-factory/jwt/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestFactory } from '../src/test-support.ts'
// By path until @jwt-factory/server exports ./testing (see that file).
import {
  isErrorShape,
  isVerifyRefusal,
  sendFuzzRequest,
  type FuzzRequest,
} from '@jwt-factory/server/testing'

/**
 * Property-based fuzzing of every factory endpoint through app.request(): random methods,
 * paths (traversal, NUL, unicode lookalikes, very long), headers (X-Expire-Seconds, X-Audience,
 * Authorization, Accept, content types) and bodies (random JSON, not JSON, binary, huge). Whatever
 * comes in: never a 5xx, never a throw, and every refusal has the JSON error shape (or, from
 * /verify, the verify-result shape). Runs are bounded so the file stays well under 20 s;
 * fast-check prints the seed and the shrunk request of any failure.
 */
const NUM_RUNS = 300

type TestFactory = Awaited<ReturnType<typeof createTestFactory>>
let factory: TestFactory
/** Tokens worth sending: valid ones, the attack catalogue, and their fragments. */
let tokens: string[] = []

beforeAll(async () => {
  factory = await createTestFactory()
  for (const keyId of ['servicea', 'serviceb']) await factory.app.request(`/keys/${keyId}`)
  const context = {
    key: factory.keyStore.get('servicea')!.active,
    otherServiceKey: factory.keyStore.get('serviceb')!.active,
    claims: { iss: factory.config.serviceIssuer, sub: 'servicea', aud: 'serviceb' },
    attacker: await generateAttackerKeys(),
  }
  // The 1 MB token is left out: a body that large is a 413 before anything else, tested below.
  const catalogue = attackCatalogue(context).filter((a) => !a.oversized)
  tokens = [validToken(context), ...catalogue.map((a) => a.token)]
})

afterAll(() => factory?.cleanup())

// --- what may come in -------------------------------------------------------------------------

const latin1 = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((c) => c !== 0x7f)
  .map((c) => String.fromCharCode(c))

/** Path segments: known ids, traversal, NUL, lookalikes, encodings, very long, random unicode. */
const segment = fc.oneof(
  fc.constantFrom(
    'servicea',
    'serviceb',
    'nobody',
    '',
    '.',
    '..',
    '..%2F..%2Fkeys%2Fservicea-private.pem',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '%00',
    'servicea%00',
    'servicea%0d%0aX-Injected:%201',
    '\u0455\u0435rvic\u0435a', // Cyrillic lookalikes of "servicea"
    'servicea\u200b', // zero-width space
    '\uff53\uff45\uff52\uff56\uff49\uff43\uff45\uff41', // fullwidth
    '%',
    '%zz',
    '%c0%ae%c0%ae', // overlong UTF-8 for ".."
    '%ff',
    'a'.repeat(65),
    'a'.repeat(8000),
    'servicea.pem',
    '__proto__',
    'constructor',
    'previous',
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ maxLength: 20, unit: 'binary' }),
)

const ROUTES = [
  '/keys/{}',
  '/keys/{}/{}',
  '/issueToken/{}',
  '/verify/{}',
  '/utils/publicKey/{}',
  '/utils/keys',
  '/utils/dump',
  '/dump',
  '/.well-known/jwks.json',
  '/.well-known/openid-configuration',
  '/healthz',
  '/login',
  '/totp/validate',
  '/auth',
  '/{}',
  '/{}/{}/{}',
] as const

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?expired=1',
    '?expired=true',
    '?ttl=60',
    '?ttl=-1',
    '?ttl=1e9',
    '?ttl=%00',
    '?ttl=99999999999',
    '?expired=1&ttl=0',
    '?a=%zz',
  ),
  fc.string({ maxLength: 30 }).map((q) => `?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
)

const path = fc
  .tuple(fc.constantFrom(...ROUTES), fc.array(segment, { minLength: 3, maxLength: 3 }), query)
  .map(
    ([route, [a, b, c], q]) => `${route.replace('{}', a!).replace('{}', b!).replace('{}', c!)}${q}`,
  )

const method = fc.constantFrom(
  'GET',
  'POST',
  'POST',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
)

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`
const token = fc.oneof(
  fc.nat().map((i) => tokens[i % tokens.length]!),
  fc.nat().map((i) => tokens[i % tokens.length]!.slice(0, (i % 400) + 1)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', 'a.b.c', '..', 'null', 'x'.repeat(9000)),
)

/** Header values: numbers in every spelling, injection attempts, credentials of every shape. */
const headerValue = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1',
    '60',
    '600',
    '1e3',
    '0x10',
    '1.5',
    'NaN',
    'Infinity',
    '99999999999999999999',
    '86400 ',
    '60; DROP TABLE keys',
  ),
  fc.constantFrom(
    'serviceb',
    'servicec',
    'jwt-factory',
    ' serviceb ',
    'servicea,serviceb',
    '\u00e9vil',
    'serviceb%0d%0aX-Injected: 1',
  ),
  fc.constantFrom(
    'Basic',
    'Basic ',
    'Basic :',
    basic(':'),
    basic('alice'),
    basic('alice:'),
    basic(':secret'),
    'Basic /w==',
    'Basic YQ',
    'Bearer',
    'Bearer ',
  ),
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
    .map(([n, p]) => basic(`${n}:${p}`)),
  token.map((t) => `Bearer ${t}`),
  fc.string({ maxLength: 60, unit: latin1 }),
)

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/json;;;',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jwt',
  '*/*',
  'garbage',
)

const headers = fc.record(
  {
    'content-type': contentType,
    accept: fc.constantFrom(
      'application/json',
      'text/plain',
      '*/*',
      'application/json;q=0',
      'garbage',
    ),
    'x-expire-seconds': headerValue,
    'x-audience': headerValue,
    authorization: headerValue,
    'x-totp-code': headerValue,
    'x-permission': headerValue,
    'x-request-id': headerValue,
    cookie: headerValue.map((v) => `token=${v}`),
  },
  { requiredKeys: [] },
)

/** JSON objects a token cannot hold: 5000 levels deep, and 40 KB of one claim. */
const DEEP_OBJECT = `{"a":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_001)}`
const WIDE_OBJECT = JSON.stringify({ aud: 'serviceb', pad: 'x'.repeat(40_000) })

const claimValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('serviceb', 'servicea', '', 0, -1, 1e308, null, ['serviceb'], []),
)
const body = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.json({ maxDepth: 3 }),
  fc
    .record({ token, aud: claimValue, sub: claimValue }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        aud: claimValue,
        iss: claimValue,
        sub: claimValue,
        exp: claimValue,
        nbf: claimValue,
        scope: claimValue,
        level: claimValue,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        user_name: claimValue,
        totp_code: claimValue,
        totp_challenge: claimValue,
        expire_seconds: claimValue,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{"__proto__":{"aud":"x","admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{"token":"a","token":"b"}',
    '[]',
    'null',
    '"token"',
    '1e999',
    '{',
  ),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom(
    'x'.repeat(70_000),
    `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
    DEEP_OBJECT,
    WIDE_OBJECT,
  ),
)

const request = fc.record({ method, path, headers, body }) as fc.Arbitrary<FuzzRequest>

// --- what must come out -------------------------------------------------------------------------

async function checkAnswer(r: FuzzRequest, res: Response): Promise<void> {
  const where = `${r.method} ${r.path.slice(0, 120)} → ${res.status}`
  expect(res.status, where).toBeLessThan(500)
  if (r.method === 'HEAD' || res.status < 400) return
  expect(res.headers.get('content-type'), where).toMatch(/^application\/json/)
  const text = await res.text()
  const parsed = JSON.parse(text) as unknown
  expect(isErrorShape(parsed) || isVerifyRefusal(parsed), `${where}: ${text.slice(0, 300)}`).toBe(
    true,
  )
  expect(text, where).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/) // no stack traces
}

describe('the factory app, fuzzed', () => {
  it(`any request to any endpoint: never a 5xx or a throw, refusals in the JSON error shape (${NUM_RUNS} runs)`, async () => {
    // A factory of its own: a fuzzed DELETE /keys/servicea or a rotation must not change the
    // keys the properties below sign and verify with.
    const scratch = await createTestFactory()
    try {
      for (const keyId of ['servicea', 'serviceb']) await scratch.app.request(`/keys/${keyId}`)
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          await checkAnswer(r, await sendFuzzRequest(scratch.app, r))
        }),
        { numRuns: NUM_RUNS },
      )
    } finally {
      await scratch.cleanup()
    }
  })

  it(`POST /issueToken/servicea with any claims, lifetime and accept: 200 with a token, or a 4xx (${NUM_RUNS} runs)`, async () => {
    const issueRequest = fc.record({
      method: fc.constant('POST'),
      path: fc.oneof(
        fc.constant('/issueToken/servicea'),
        query.map((q) => `/issueToken/servicea${q}`),
      ),
      headers,
      body,
    })
    await fc.assert(
      fc.asyncProperty(issueRequest as fc.Arbitrary<FuzzRequest>, async (r) => {
        const res = await sendFuzzRequest(factory.app, r)
        if (res.status === 200) {
          const text = await res.text()
          const accessToken = text.startsWith('{')
            ? (JSON.parse(text) as { access_token: string }).access_token
            : text
          expect(accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
          return
        }
        await checkAnswer(r, res)
      }),
      { numRuns: NUM_RUNS },
    )
  })

  it(`POST /verify/servicea with any token, aud and sub: 200 valid, 403 refused or 4xx, never claims on a refusal (${NUM_RUNS} runs)`, async () => {
    const verifyBody = fc.record(
      {
        token,
        aud: fc.oneof(fc.constant('serviceb'), claimValue),
        sub: fc.oneof(fc.constant('servicea'), claimValue),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(verifyBody, fc.option(contentType, { nil: undefined }), async (b, type) => {
        const r: FuzzRequest = {
          method: 'POST',
          path: '/verify/servicea',
          headers: type ? { 'content-type': type } : {},
          body: JSON.stringify(b),
        }
        const res = await sendFuzzRequest(factory.app, r)
        if (res.status === 200) {
          expect(((await res.json()) as { valid: boolean }).valid).toBe(true)
          return
        }
        expect([400, 403, 415]).toContain(res.status)
        await checkAnswer(r, res)
      }),
      { numRuns: NUM_RUNS },
    )
  })

  it('after the fuzzing the app is healthy: a new keyId gets a key and a token', async () => {
    expect((await factory.app.request('/healthz')).status).toBe(200)
    const res = await factory.app.request('/keys/after-fuzz')
    expect([200, 201]).toContain(res.status)
    const issued = await factory.app.request('/issueToken/after-fuzz', { method: 'POST' })
    expect(issued.status).toBe(200)
  })
})

describe('claims a token cannot hold, found by the fuzzing', () => {
  it('attack: POST /issueToken/servicea with claims nested 5000 levels deep → 400 BadRequestError', async () => {
    const res = await factory.app.request('/issueToken/servicea', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: DEEP_OBJECT,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      error: { name: 'BadRequestError', code: 'ERR_INVALID_CLAIMS' },
    })
  })

  it('attack: POST /issueToken/servicea with a 40 KB claim → 400 BadRequestError (no verifier here would accept the token)', async () => {
    const res = await factory.app.request('/issueToken/servicea', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: WIDE_OBJECT,
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('ERR_INVALID_CLAIMS')
    expect(body.error.message).toContain(String(MAX_TOKEN_LENGTH))
  })
})
