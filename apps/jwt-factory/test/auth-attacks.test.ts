import { generateSigningKey, USER_TOKEN_TYPE, type SigningKey } from '@jwt-factory/jwt'
import {
  acceptedTwins,
  attackCatalogue,
  attackTestName,
  generateAttackerKeys,
  validToken,
  type Attack,
  type AttackContext,
  type AttackerKeys,
} from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginFactory, TEST_USERS } from '../src/login/login-test-support.ts'

/**
 * The attack catalogue at POST /auth: every forged user token is a 401 with the verify error's
 * name and an `error="invalid_token"` challenge, and never a 200.
 */
let factory: Awaited<ReturnType<typeof createLoginFactory>>
let context: AttackContext
let attacks: Map<string, Attack>

const contextFor = (
  key: SigningKey,
  otherServiceKey: SigningKey,
  attacker: AttackerKeys,
  now: Date,
  audience: string,
): AttackContext => ({
  key,
  otherServiceKey,
  attacker,
  typ: USER_TOKEN_TYPE,
  // /auth pins issuer and audience; the subject is the user, whoever it is.
  checksSubject: false,
  // /auth checks the audience against a list, so its message differs: only the name is compared.
  otherAudience: 'not-a-user-audience',
  claims: { iss: 'https://localhost:5443/users', sub: TEST_USERS.alice.name, aud: audience },
  now,
})

/** Test names are needed before beforeAll runs: the same catalogue made with throwaway keys. */
const sampleContext = await (async () => {
  const [k, o, a] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('ES256'),
    generateAttackerKeys(),
  ])
  return contextFor(k, o, a, new Date(), 'jwt-factory')
})()
const sample = attackCatalogue(sampleContext)
const twins = acceptedTwins(sampleContext)

beforeAll(async () => {
  factory = await createLoginFactory()
  await factory.app.request('/keys/servicea')
  context = contextFor(
    await factory.userKeys.signingKey(),
    factory.keyStore.get('servicea')!.active,
    await generateAttackerKeys(),
    factory.now(),
    factory.config.userAudiences[0]!,
  )
  attacks = new Map(attackCatalogue(context).map((a) => [a.id, a]))
})
afterAll(() => factory?.cleanup())

const auth = (headers: Record<string, string>) =>
  factory.app.request('/auth', { method: 'POST', headers })

describe('POST /auth under attack', () => {
  it('control: the catalogue’s well-formed user token is admitted (200)', async () => {
    const res = await auth({ authorization: `Bearer ${validToken(context)}` })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ success: true, user: TEST_USERS.alice.name })
  })

  for (const { id, title } of twins) {
    it(`attack: ${title} → 200 accepted`, async () => {
      const twin = acceptedTwins(context).find((t) => t.id === id)!
      expect((await auth({ authorization: `Bearer ${twin.token}` })).status).toBe(200)
    })
  }

  it('attack: no token → 401 UnauthorizedError', async () => {
    const res = await auth({})
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { name: string } }).error.name).toBe('UnauthorizedError')
  })

  for (const { id, ...named } of sample) {
    it(attackTestName(named, 401), async () => {
      const attack = attacks.get(id)!
      const res = await auth({ authorization: `Bearer ${attack.token}` })
      expect(res.status).toBe(401)
      const body = (await res.json()) as { error: { name: string; message: string } }
      expect(body.error.name).toBe(attack.expect.name)
      if (attack.expect.message && id !== 'replayed-audience')
        expect(body.error.message).toBe(attack.expect.message)
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    })
  }
})
