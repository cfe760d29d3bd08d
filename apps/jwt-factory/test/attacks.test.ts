import { generateSigningKey, type SigningKey } from '@jwt-factory/jwt'
import {
  acceptedTwins,
  attackCatalogue,
  attackTestName,
  generateAttackerKeys,
  opensslEs256Tokens,
  validToken,
  type Attack,
  type AttackContext,
} from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestFactory, jsonPost } from '../src/test-support.ts'

/**
 * The attack catalogue at the factory's POST /verify/:keyId, through app.request(): every token
 * refused with 403 and the verify-result body naming the error, never a 200, never claims. Plus
 * the attacks that use the factory itself: a token issued for another keyId, for another
 * audience, or with another issuer.
 */
type TestFactory = Awaited<ReturnType<typeof createTestFactory>>

const CALLER = 'servicea'
const AUDIENCE = 'serviceb'
let factory: TestFactory
let context: AttackContext
let attacks: Map<string, Attack>

/** The catalogue's titles, known before the factory exists, for the test names. */
const sample = await sampleContext()
const titles = attackCatalogue(sample)
const twins = acceptedTwins(sample)

async function sampleContext(): Promise<AttackContext> {
  const [key, other] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')])
  return {
    key,
    otherServiceKey: other,
    claims: { iss: 'i', sub: CALLER, aud: AUDIENCE },
    attacker: await generateAttackerKeys(),
  }
}

beforeAll(async () => {
  factory = await createTestFactory()
  for (const keyId of [CALLER, 'serviceb', 'servicec'])
    expect((await factory.app.request(`/keys/${keyId}`)).status).toBe(201)
  const key = factory.keyStore.get(CALLER)!.active as SigningKey
  context = {
    key,
    otherServiceKey: factory.keyStore.get('serviceb')!.active,
    claims: { iss: factory.config.serviceIssuer, sub: CALLER, aud: AUDIENCE },
    attacker: await generateAttackerKeys(),
    clockToleranceSeconds: factory.config.clockToleranceSeconds,
  }
  attacks = new Map(attackCatalogue(context).map((a) => [a.id, a]))
})

afterAll(() => factory?.cleanup())

async function verify(token: string, body: Record<string, unknown> = {}, keyId = CALLER) {
  const res = await factory.app.request(
    `/verify/${keyId}`,
    jsonPost({ token, aud: AUDIENCE, sub: CALLER, ...body }),
  )
  return {
    status: res.status,
    body: (await res.json()) as {
      valid: boolean
      error?: { name: string; message: string; code: string }
      claims: unknown
    },
  }
}

/** A token from the factory's own POST /issueToken, as any caller can ask for one. */
async function issue(keyId: string, claims: Record<string, unknown>): Promise<string> {
  const res = await factory.app.request(`/issueToken/${keyId}`, jsonPost(claims))
  expect(res.status).toBe(200)
  return res.text()
}

function expectRefused(result: Awaited<ReturnType<typeof verify>>, name: string, message?: string) {
  expect(result.status).toBe(403)
  expect(result.body).toEqual({
    valid: false,
    error: expect.objectContaining({ name, code: expect.stringMatching(/^ERR_/) }),
    claims: {},
  })
  if (message) expect(result.body.error?.message).toBe(message)
}

describe('POST /verify/:keyId under attack', () => {
  it('control: a well-formed token of the catalogue is valid (200)', async () => {
    const { status, body } = await verify(validToken(context))
    expect(status).toBe(200)
    expect(body.valid).toBe(true)
  })

  for (const { id, title } of twins) {
    it(`attack: ${title} → 200 accepted`, async () => {
      const twin = acceptedTwins(context).find((t) => t.id === id)!
      const { status, body } = await verify(twin.token)
      expect({ status, valid: body.valid }).toEqual({ status: 200, valid: true })
    })
  }

  // Defect 1 of issue 10: about half of these have a high S and were refused as invalid signatures.
  it("40 tokens signed by the openssl command with servicea's own key are all valid (200)", async () => {
    const key = context.key
    const now = Math.floor(Date.now() / 1000)
    const payloads = Array.from({ length: 40 }, (_, i) => ({
      ...context.claims,
      iat: now,
      exp: now + 300,
      jti: `openssl-${i}`,
    }))
    const header = { alg: 'ES256', kid: key.kid, typ: 'JWT' }
    for (const token of opensslEs256Tokens(key.privatePem, header, payloads)) {
      const { status, body } = await verify(token)
      expect({ status, valid: body.valid }).toEqual({ status: 200, valid: true })
    }
  })

  for (const { id, ...named } of titles.filter((a) => !a.oversized)) {
    it(attackTestName(named, 403), async () => {
      const attack = attacks.get(id)!
      expectRefused(await verify(attack.token), attack.expect.name, attack.expect.message)
    })
  }

  it('attack: a 1 MB token → 413 PayloadTooLargeError', async () => {
    const res = await factory.app.request(
      `/verify/${CALLER}`,
      jsonPost({ token: attacks.get('one-megabyte')!.token, aud: AUDIENCE, sub: CALLER }),
    )
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual({
      error: {
        name: 'PayloadTooLargeError',
        code: 'ERR_PAYLOAD_TOO_LARGE',
        message: expect.any(String),
      },
    })
  })

  it('attack: asking /issueToken/serviceb for sub servicea → 400 BadRequestError', async () => {
    const res = await factory.app.request(
      '/issueToken/serviceb',
      jsonPost({ sub: CALLER, aud: AUDIENCE }),
    )
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      error: { name: 'BadRequestError', code: 'ERR_INVALID_CLAIMS' },
    })
  })

  it("attack: serviceb's factory token verified as servicea's → 403 JsonWebTokenError", async () => {
    // The key says whose token it is: serviceb's key is not among servicea's keys.
    const token = await issue('serviceb', { aud: AUDIENCE })
    const res = await factory.app.request(
      '/verify/servicea',
      jsonPost({ token, aud: AUDIENCE, sub: 'serviceb' }),
    )
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({
      valid: false,
      error: { name: 'JsonWebTokenError', message: 'no key matches the token' },
    })
  })

  it('attack: a factory token for serviceb replayed to servicec → 403 JsonWebTokenError', async () => {
    const token = await issue(CALLER, { aud: 'serviceb' })
    expect((await verify(token)).status).toBe(200)
    expectRefused(
      await verify(token, { aud: 'servicec' }),
      'JsonWebTokenError',
      'jwt audience invalid. expected: servicec',
    )
  })

  it('attack: a factory-signed token with another issuer → 403 JsonWebTokenError', async () => {
    const token = await issue(CALLER, { aud: AUDIENCE, iss: 'https://evil.example/' })
    expectRefused(
      await verify(token),
      'JsonWebTokenError',
      `jwt issuer invalid. expected: ${factory.config.serviceIssuer}`,
    )
  })

  it('attack: an expired factory token (?expired=1) → 403 TokenExpiredError', async () => {
    const res = await factory.app.request(
      `/issueToken/${CALLER}?expired=1`,
      jsonPost({ aud: AUDIENCE }),
    )
    expectRefused(await verify(await res.text()), 'TokenExpiredError', 'jwt expired')
  })

  it('attack: a valid token verified under another keyId → 403 JsonWebTokenError', async () => {
    const token = await issue(CALLER, { aud: AUDIENCE })
    expectRefused(
      await verify(token, {}, 'servicec'),
      'JsonWebTokenError',
      'no key matches the token',
    )
  })
})
