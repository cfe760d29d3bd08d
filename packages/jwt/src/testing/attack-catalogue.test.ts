import { beforeAll, describe, expect, it } from 'vitest'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../algorithms.ts'
import { toJwks } from '../jwks.ts'
import { keyList, remoteKeys, type KeySource } from '../key-source.ts'
import { generateSigningKey, type SigningKey } from '../signing-key.ts'
import { USER_TOKEN_TYPE } from '../token-type.ts'
import { verifyToken, type VerifyTokenOptions } from '../verify.ts'
import {
  acceptedTwins,
  attackCatalogue,
  generateAttackerKeys,
  validToken,
  type AttackContext,
  type AttackerKeys,
} from './attack-catalogue.ts'

/**
 * The catalogue against verifyToken itself, for every algorithm the product offers and for a
 * remote key set: every attack refused with the catalogue's error, never a throw; the control
 * token accepted, so each refusal is the attack's doing.
 */
const claims = { iss: 'https://localhost:5443', sub: 'servicea', aud: 'serviceb' }
const expected: VerifyTokenOptions = {
  issuer: claims.iss,
  audience: claims.aud,
  subject: claims.sub,
}
/** RFC 6750 §2.1 b64token: what a bearer header can carry, so HTTP places see the same tokens. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

let attacker: AttackerKeys
const keys = {} as Record<SigningAlgorithm, SigningKey>
let otherService: SigningKey

beforeAll(async () => {
  attacker = await generateAttackerKeys()
  otherService = await generateSigningKey('ES256')
  for (const alg of SIGNING_ALGORITHMS) keys[alg] = await generateSigningKey(alg)
})

/** One clock for tokens and verifier: a control and its twin signed a second apart differ. */
const T = new Date()

const context = (alg: SigningAlgorithm, extra: Partial<AttackContext> = {}): AttackContext => ({
  key: keys[alg],
  claims,
  attacker,
  otherServiceKey: otherService,
  now: T,
  ...extra,
})

async function expectRefused(
  keySource: KeySource,
  ctx: AttackContext,
  verifierOptions: VerifyTokenOptions = expected,
) {
  const options = { currentDate: ctx.now, ...verifierOptions }
  const control = await verifyToken(validToken(ctx), keySource, options)
  expect(control.valid).toBe(true)
  for (const twin of acceptedTwins(ctx)) {
    const result = await verifyToken(twin.token, keySource, options)
    expect({ id: twin.id, result }, twin.title).toEqual({ id: twin.id, result: control })
  }
  for (const attack of attackCatalogue(ctx)) {
    const result = await verifyToken(attack.token, keySource, options)
    expect({ id: attack.id, result }, attack.title).toMatchObject({
      id: attack.id,
      result: {
        valid: false,
        claims: {},
        error: {
          name: attack.expect.name,
          ...(attack.expect.message ? { message: attack.expect.message } : {}),
        },
      },
    })
  }
}

describe('the attack catalogue', () => {
  it('has unique ids, and every token but the oversized one fits a bearer header', () => {
    const catalogue = attackCatalogue(context('ES256'))
    expect(new Set(catalogue.map((a) => a.id)).size).toBe(catalogue.length)
    for (const attack of catalogue) {
      expect(attack.token, attack.id).toMatch(B64TOKEN)
      expect(attack.token.length > 16_000, attack.id).toBe(attack.oversized === true)
    }
  })

  it('covers what issue 6 lists', () => {
    const ids = attackCatalogue(context('ES256')).map((a) => a.id)
    for (const id of [
      'alg-none-unsigned',
      'alg-none-signed',
      'hs256-public-pem',
      'hs256-public-jwk',
      'alg-not-configured',
      'other-service-key',
      'replayed-audience',
      'wrong-issuer',
      'missing-exp',
      'missing-aud',
      'missing-sub',
      'missing-iat',
      'nbf-future',
      'iat-future',
      'expired',
      'typ-other',
      'kid-traversal',
      'kid-sql',
      'kid-10kb',
      'jku-elsewhere',
      'x5u-elsewhere',
      'x5c-attacker',
      'jwk-embedded',
      'crit-unknown',
      'duplicate-header-alg',
      'duplicate-payload-sub',
      'segments-two',
      'base64-standard',
      'header-not-json',
      'one-megabyte',
      'signature-short',
      'signature-long',
      'jwk-invalid-curve',
    ]) {
      expect(ids).toContain(id)
    }
  })

  it('names the twins every place must accept: high-S, padded, other unused bits', () => {
    const ids = (alg: SigningAlgorithm) => acceptedTwins(context(alg)).map((t) => t.id)
    expect(ids('ES256')).toEqual(['signature-high-s', 'signature-padded', 'signature-unused-bits'])
    expect(ids('RS256')).toEqual(['signature-padded', 'signature-unused-bits'])
    for (const twin of acceptedTwins(context('ES256'))) {
      expect(twin.token).toMatch(B64TOKEN)
      expect(twin.token).not.toBe(validToken(context('ES256')))
    }
  })

  it.each(SIGNING_ALGORITHMS)(
    'every attack is refused by verifyToken with local %s keys',
    async (alg) => {
      await expectRefused(keyList([keys[alg]]), context(alg))
    },
  )

  it('every attack is refused by verifyToken with a remote key set holding the other service key too', async () => {
    const fetch = async () =>
      new Response(JSON.stringify(toJwks([keys.ES256, keys.RS256])), { status: 200 })
    const jwks = remoteKeys('https://jwt-factory.test/.well-known/jwks.json', {
      algorithms: SIGNING_ALGORITHMS,
      fetch,
    })
    // Without other-service-key: a JWKS does not say whose key is whose (see the service's attacks).
    await expectRefused(jwks, context('ES256', { otherServiceKey: undefined }))
  })

  it('user tokens: every attack refused where at+jwt is expected', async () => {
    const ctx = context('ES256', { typ: USER_TOKEN_TYPE, checksSubject: false })
    await expectRefused(keyList([keys.ES256]), ctx, {
      issuer: claims.iss,
      audience: claims.aud,
      typ: USER_TOKEN_TYPE,
    })
  })

  it('honours the verifier clock and tolerance given in the context', async () => {
    const now = new Date('2030-01-01T00:00:00Z')
    const ctx = context('ES256', { now, clockToleranceSeconds: 0 })
    await expectRefused(keyList([keys.ES256]), ctx, {
      ...expected,
      currentDate: now,
      clockToleranceSeconds: 0,
    })
  })
})
