import {
  generateSigningKey,
  keyList,
  SERVICE_TOKEN_TYPE,
  USER_TOKEN_TYPE,
  verificationKeyFromPem,
  type KeySource,
  type SigningKey,
} from '@jwt-factory/jwt'
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
import { beforeAll, describe, expect, it } from 'vitest'
import type { RequireAuthOptions } from './index.ts'
import { AUDIENCE, ISSUER, protectedApp } from './test-support.ts'

/**
 * The attack catalogue at requireAuth, in a small app whose protected handler counts its calls:
 * every attack is a 401 with `error="invalid_token"` and the verify error's name, and the
 * handler never runs. Once for user tokens (at+jwt, the default), once for service tokens.
 */
let key: SigningKey
let otherService: SigningKey
let attacker: AttackerKeys
let keys: KeySource

beforeAll(async () => {
  ;[key, otherService, attacker] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('ES256'),
    generateAttackerKeys(),
  ])
  // As a service loads the issuer's public key from a PEM file.
  keys = keyList([await verificationKeyFromPem(key.publicPem, 'ES256')])
})

interface Place {
  label: string
  typ: string
  options: () => Partial<RequireAuthOptions> & Pick<RequireAuthOptions, 'keys'>
}

const places: Place[] = [
  { label: 'user tokens (at+jwt)', typ: USER_TOKEN_TYPE, options: () => ({ keys }) },
  {
    label: 'service tokens (JWT)',
    typ: SERVICE_TOKEN_TYPE,
    options: () => ({ keys, tokenType: SERVICE_TOKEN_TYPE }),
  },
]

const contextFor = (typ: string, k = key, o = otherService, a = attacker): AttackContext => ({
  key: k,
  otherServiceKey: o,
  attacker: a,
  typ,
  // requireAuth pins issuer and audience; the subject is the caller, whoever it is.
  checksSubject: false,
  claims: { iss: ISSUER, aud: AUDIENCE, sub: 'alice' },
})

/** Names are needed before beforeAll runs: the same context made with throwaway keys. */
const sample = await (async () => {
  const [k, o, a] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('ES256'),
    generateAttackerKeys(),
  ])
  return (typ: string) => contextFor(typ, k, o, a)
})()

for (const { label, typ, options } of places)
  describe(`requireAuth under attack: ${label}`, () => {
    let attacks: Map<string, Attack>
    beforeAll(() => {
      attacks = new Map(attackCatalogue(contextFor(typ)).map((a) => [a.id, a]))
    })

    it('control: the catalogue’s well-formed token reaches the handler (200)', async () => {
      const guarded = protectedApp(options())
      expect((await guarded.bearer(validToken(contextFor(typ)))).status).toBe(200)
      expect(guarded.calls).toBe(1)
    })

    for (const { id, title } of acceptedTwins(sample(typ))) {
      it(`attack: ${title} → 200 accepted`, async () => {
        const twin = acceptedTwins(contextFor(typ)).find((t) => t.id === id)!
        const guarded = protectedApp(options())
        expect((await guarded.bearer(twin.token)).status).toBe(200)
        expect(guarded.calls).toBe(1)
      })
    }

    it('attack: no token → 401 UnauthorizedError', async () => {
      const guarded = protectedApp(options())
      const res = await guarded.get()
      expect(res.status).toBe(401)
      expect(((await res.json()) as { error: { name: string } }).error.name).toBe(
        'UnauthorizedError',
      )
      expect(guarded.calls).toBe(0)
    })

    // In-process, no HTTP server limits the header: the 1 MB token reaches verifyToken too.
    for (const { id, ...named } of attackCatalogue(sample(typ))) {
      it(attackTestName(named, 401), async () => {
        const attack = attacks.get(id)!
        const guarded = protectedApp(options())
        const res = await guarded.bearer(attack.token)
        expect(res.status).toBe(401)
        const challenge = res.headers.get('www-authenticate') ?? ''
        expect(challenge).toMatch(
          /^Bearer realm="servicea", error="invalid_token", error_description="/,
        )
        const { error } = (await res.json()) as {
          error: { name: string; code: string; message: string }
        }
        expect(error).toMatchObject({
          name: attack.expect.name,
          code: expect.stringMatching(/^ERR_/),
          message: attack.expect.message ?? expect.any(String),
        })
        expect(guarded.calls).toBe(0)
      })
    }
  })
