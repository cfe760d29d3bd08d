import { SignJWT, decodeProtectedHeader, type JWTPayload } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import type { SigningAlgorithm } from './algorithms.ts'
import { keyList, localKeys, type KeySource } from './key-source.ts'
import { EXPIRED_TOKEN_AGE_SECONDS, expiredVariantTime } from './expired-variant.ts'
import { signToken, type SignTokenOptions } from './sign.ts'
import { generateSigningKey, type SigningKey } from './signing-key.ts'
import { USER_TOKEN_TYPE } from './token-type.ts'
import { signForged } from './forge.ts'
import type { VerifyError } from './verify-result.ts'
import {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_TOKEN_LENGTH,
  verifyToken,
  type VerifyTokenOptions,
} from './verify.ts'

const expected = { issuer: 'jwt-factory', audience: 'serviceb', subject: 'servicea' }
const claims = { iss: expected.issuer, aud: expected.audience, sub: expected.subject }

/** A fixed clock, so no test depends on when it runs. */
const T = new Date('2030-01-02T03:04:05.000Z')
const tSeconds = T.getTime() / 1000
const at = (offsetSeconds: number) => new Date(T.getTime() + offsetSeconds * 1000)

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const iso = (seconds: number) => new Date(seconds * 1000).toISOString()

const CLAIM_FAILED = 'ERR_JWT_CLAIM_VALIDATION_FAILED'
const ALG_NOT_ALLOWED = 'ERR_JOSE_ALG_NOT_ALLOWED'
const failure = (error: Partial<VerifyError>) => ({ valid: false, error, claims: {} })
const tokenError = (message: string, code: VerifyError['code']) =>
  failure({ name: 'JsonWebTokenError', message, code })

let es: SigningKey
let rs: SigningKey
let ed: SigningKey
let esKeys: KeySource

beforeAll(async () => {
  ;[es, rs, ed] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('RS256'),
    generateSigningKey('EdDSA'),
  ])
  esKeys = keyList([es])
})

/** signToken with the fixed clock unless told otherwise. */
const sign = (extra: JWTPayload = {}, options: Partial<SignTokenOptions> = {}, key = es) =>
  signToken(key, { ...claims, ...extra }, { ttlSeconds: 60, now: T, ...options })

/** verifyToken against the ES256 key, expecting the usual claims, at the fixed clock. */
const verifyAtT = (token: string, options: VerifyTokenOptions = {}, keys = esKeys) =>
  verifyToken(token, keys, { ...expected, currentDate: T, ...options })

/**
 * Signs exactly the given payload and header by hand (node:crypto, low-S as signToken signs):
 * no claim filled in by the product.
 */
async function rawToken(
  key: SigningKey,
  payload: JWTPayload,
  header: Record<string, unknown> = {},
) {
  return signForged(key, { alg: key.alg, kid: key.kid, typ: 'JWT', ...header }, payload)
}

const fullClaims = () => ({ ...claims, iat: tSeconds, exp: tSeconds + 60 })

describe('verifyToken: success', () => {
  it('returns exactly the signed claims, including extra ones', async () => {
    const { token, claims: signed } = await sign({ scope: 'read' }, { ttlSeconds: 120 })
    expect(signed).toMatchObject({ iat: tSeconds, exp: tSeconds + 120, scope: 'read' })
    expect(signed.jti).toMatch(/^[0-9a-f-]{36}$/)
    expect(await verifyAtT(token)).toEqual({ valid: true, claims: signed })
  })

  it('overwrites times given in the claims', async () => {
    const { claims: signed } = await sign({ iat: 1, exp: 2, jti: 'mine' }, { ttlSeconds: 5 })
    expect(signed).toMatchObject({ iat: tSeconds, exp: tSeconds + 5 })
    expect(signed.jti).not.toBe('mine')
  })

  it('accepts an audience array that contains the expected audience', async () => {
    const { token } = await sign({ aud: ['other', 'serviceb'] })
    expect((await verifyAtT(token)).valid).toBe(true)
  })

  it('checks no issuer, audience or subject it was not given', async () => {
    const { token } = await sign({ iss: 'x', aud: 'y', sub: 'z' })
    expect((await verifyToken(token, esKeys, { currentDate: T })).valid).toBe(true)
  })

  it('accepts at+jwt where at+jwt is expected', async () => {
    const { token } = await sign({}, { typ: USER_TOKEN_TYPE })
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt')
    expect((await verifyAtT(token, { typ: USER_TOKEN_TYPE })).valid).toBe(true)
  })
})

describe('verifyToken: error shapes', () => {
  it('expired: TokenExpiredError with expiredAt', async () => {
    const { token, claims: signed } = await sign({}, { now: expiredVariantTime(60, T) })
    expect(signed.exp).toBe(tSeconds - EXPIRED_TOKEN_AGE_SECONDS)
    expect(signed.iat).toBe(signed.exp - 60)
    expect(await verifyAtT(token)).toEqual({
      valid: false,
      error: {
        name: 'TokenExpiredError',
        message: 'jwt expired',
        code: 'ERR_JWT_EXPIRED',
        expiredAt: iso(signed.exp),
        now: T.toISOString(),
        clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
      },
      claims: {},
    })
  })

  it('expired, on the real clock', async () => {
    const { token, claims: signed } = await signToken(es, claims, {
      ttlSeconds: 60,
      now: expiredVariantTime(60),
    })
    expect(await verifyToken(token, esKeys, expected)).toMatchObject(
      failure({
        name: 'TokenExpiredError',
        message: 'jwt expired',
        code: 'ERR_JWT_EXPIRED',
        expiredAt: iso(signed.exp),
      }),
    )
  })

  it('not yet valid: NotBeforeError with date', async () => {
    const nbf = tSeconds + 3600
    const { token } = await sign({ nbf }, { ttlSeconds: 7200 })
    expect(await verifyAtT(token)).toMatchObject(
      failure({
        name: 'NotBeforeError',
        message: 'jwt not active',
        code: CLAIM_FAILED,
        date: iso(nbf),
      }),
    )
  })

  it.each([
    ['audience', { audience: 'servicec' }, 'jwt audience invalid. expected: servicec'],
    ['issuer', { issuer: 'someone-else' }, 'jwt issuer invalid. expected: someone-else'],
    ['subject', { subject: 'servicez' }, 'jwt subject invalid. expected: servicez'],
  ])('wrong %s', async (_label, override, message) => {
    const { token } = await sign()
    expect(await verifyAtT(token, override)).toMatchObject(tokenError(message, CLAIM_FAILED))
  })

  it('tampered signature: invalid signature', async () => {
    const { token } = await sign()
    const [h, p, s] = token.split('.') as [string, string, string]
    // change a character in the middle: the last one may only hold padding bits
    const i = Math.floor(s.length / 2)
    const tampered = `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`
    expect(await verifyAtT(tampered)).toMatchObject(
      tokenError('invalid signature', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'),
    )
  })

  it('tampered payload with the original signature: invalid signature', async () => {
    const { token, claims: signed } = await sign()
    const [h, , s] = token.split('.')
    const forged = `${h}.${b64url({ ...signed, sub: 'admin' })}.${s}`
    const result = await verifyToken(forged, esKeys, { currentDate: T })
    expect(result).toMatchObject(failure({ message: 'invalid signature' }))
  })

  it('a token signed by another key with the same kid: invalid signature', async () => {
    const other = await generateSigningKey('ES256')
    const token = await rawToken(other, fullClaims(), { kid: es.kid })
    expect(await verifyAtT(token)).toMatchObject(failure({ message: 'invalid signature' }))
  })

  it.each(['garbage', 'a.b.c', 'a.b', `${b64url({ alg: 'ES256' })}.!!!.x`, '....'])(
    'malformed %j: jwt malformed',
    async (token) => {
      expect(await verifyToken(token, esKeys, expected)).toMatchObject(
        failure({ name: 'JsonWebTokenError', message: 'jwt malformed' }),
      )
    },
  )

  it('a payload that is not JSON: refused as JsonWebTokenError', async () => {
    const { token } = await sign()
    const [h, , s] = token.split('.')
    const notJson = Buffer.from('not json').toString('base64url')
    const result = await verifyToken(`${h}.${notJson}.${s}`, esKeys)
    expect(result).toMatchObject(failure({ name: 'JsonWebTokenError' }))
  })

  it('empty: jwt must be provided', async () => {
    expect(await verifyToken('', esKeys, expected)).toMatchObject(
      tokenError('jwt must be provided', 'ERR_JWS_INVALID'),
    )
  })

  // Date covers ±8.64e15 ms: a signed nbf or exp beyond it has no ISO form, and must not throw
  it('nbf far beyond the range of Date: NotBeforeError without date, never a throw', async () => {
    const token = await rawToken(es, { ...fullClaims(), nbf: 1e13 })
    expect(await verifyAtT(token)).toStrictEqual(
      failure({
        name: 'NotBeforeError',
        code: CLAIM_FAILED,
        message: 'jwt not active',
        now: T.toISOString(),
        clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
      }),
    )
  })

  it('exp far before the range of Date: TokenExpiredError without expiredAt', async () => {
    const token = await rawToken(es, { ...fullClaims(), exp: -1e13 })
    expect(await verifyAtT(token)).toStrictEqual(
      failure({
        name: 'TokenExpiredError',
        code: 'ERR_JWT_EXPIRED',
        message: 'jwt expired',
        now: T.toISOString(),
        clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
      }),
    )
  })

  it('nbf and exp at the ends of the range of Date: the date is given', async () => {
    const notYet = await rawToken(es, { ...fullClaims(), nbf: 8.64e12 })
    expect(await verifyAtT(notYet)).toMatchObject(failure({ date: '+275760-09-13T00:00:00.000Z' }))
    const expired = await rawToken(es, { ...fullClaims(), exp: -8.64e12 })
    expect(await verifyAtT(expired)).toMatchObject(
      failure({ expiredAt: '-271821-04-20T00:00:00.000Z' }),
    )
  })

  it('not a string (from untyped JSON): jwt must be provided, never a throw', async () => {
    const result = await verifyToken(undefined as unknown as string, esKeys, expected)
    expect(result).toMatchObject(failure({ message: 'jwt must be provided' }))
  })

  it('over MAX_TOKEN_LENGTH: jwt malformed before any parsing', async () => {
    let resolved = 0
    const counting: KeySource = {
      name: 'counting',
      resolve(header) {
        resolved++
        return esKeys.resolve(header)
      },
    }
    const token = await rawToken(es, { ...fullClaims(), pad: 'x'.repeat(MAX_TOKEN_LENGTH) })
    expect(token.length).toBeGreaterThan(MAX_TOKEN_LENGTH)
    expect(await verifyAtT(token, {}, counting)).toMatchObject(
      tokenError('jwt malformed', 'ERR_JWS_INVALID'),
    )
    expect(resolved).toBe(0)
  })

  it('a token of exactly MAX_TOKEN_LENGTH is still verified', async () => {
    const padded = (pad: number, fill: number) =>
      rawToken(es, { ...fullClaims(), pad: 'x'.repeat(pad) }, { fill: 'x'.repeat(fill) })
    // base64url grows by 4 characters per 3 bytes, so no payload alone hits every length: aim
    // just under the limit, and let a header member of 0 to 3 bytes make up the difference.
    const base = (await padded(0, 0)).length
    const aim = Math.floor(((MAX_TOKEN_LENGTH - base) * 3) / 4) - 3
    const candidates = []
    for (let pad = aim; pad <= aim + 3; pad++) {
      for (let fill = 0; fill <= 3; fill++) candidates.push(await padded(pad, fill))
    }
    const token = candidates.find((t) => t.length === MAX_TOKEN_LENGTH)
    expect(token).toBeDefined()
    expect((await verifyAtT(token!)).valid).toBe(true)
  })

  const REQUIRED = ['exp', 'iat', 'iss', 'sub', 'aud'] as const
  it.each(REQUIRED)('missing %s: jwt %s required', async (claim) => {
    const payload: JWTPayload = fullClaims()
    delete payload[claim]
    const token = await rawToken(es, payload)
    // even when the caller does not name an expected value for the claim
    for (const options of [{}, { issuer: undefined, audience: undefined, subject: undefined }]) {
      expect(await verifyAtT(token, options)).toMatchObject(
        tokenError(`jwt ${claim} required`, CLAIM_FAILED),
      )
    }
  })

  it('a complete raw token verifies (the missing-claim tests differ in one claim)', async () => {
    expect((await verifyAtT(await rawToken(es, fullClaims()))).valid).toBe(true)
  })

  it.each(['exp', 'nbf', 'iat'])('%s that is not a number: jwt %s invalid', async (claim) => {
    const token = await rawToken(es, { ...fullClaims(), [claim]: 'tomorrow' })
    expect(await verifyAtT(token)).toStrictEqual(tokenError(`jwt ${claim} invalid`, CLAIM_FAILED))
  })

  it('typ at+jwt where JWT is expected: jwt type invalid', async () => {
    const { token } = await sign({}, { typ: USER_TOKEN_TYPE })
    expect(await verifyAtT(token)).toMatchObject(
      tokenError('jwt type invalid. expected: JWT', CLAIM_FAILED),
    )
  })

  it('typ JWT where at+jwt is expected: jwt type invalid', async () => {
    const { token } = await sign()
    expect(await verifyAtT(token, { typ: USER_TOKEN_TYPE })).toMatchObject(
      failure({ message: 'jwt type invalid. expected: at+jwt' }),
    )
  })

  it('no typ header where JWT is expected: jwt type invalid', async () => {
    const token = await rawToken(es, fullClaims(), { typ: undefined })
    expect(decodeProtectedHeader(token)).not.toHaveProperty('typ')
    expect(await verifyAtT(token)).toMatchObject(
      failure({ message: 'jwt type invalid. expected: JWT' }),
    )
  })

  it('iat in the future beyond the tolerance: jwt issued in the future, with the clock', async () => {
    const now = at(DEFAULT_CLOCK_TOLERANCE_SECONDS + 1)
    const { token } = await sign({}, { ttlSeconds: 3600, now })
    expect(await verifyAtT(token)).toStrictEqual(
      failure({
        name: 'JsonWebTokenError',
        code: CLAIM_FAILED,
        message: 'jwt issued in the future',
        now: T.toISOString(),
        clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
      }),
    )
  })

  it('iat in the future within the tolerance, up to exactly the tolerance, is accepted', async () => {
    for (const ahead of [DEFAULT_CLOCK_TOLERANCE_SECONDS - 5, DEFAULT_CLOCK_TOLERANCE_SECONDS]) {
      const { token } = await sign({}, { ttlSeconds: 3600, now: at(ahead) })
      expect((await verifyAtT(token)).valid, `${ahead} s ahead`).toBe(true)
    }
  })
})

describe('verifyToken: clock tolerance', () => {
  // ttl 60 s, issued 70 s before T: expired 10 s before T
  const tenSecondsAgo = () => sign({}, { now: at(-70) })

  it('the default is 30 s', () => {
    expect(DEFAULT_CLOCK_TOLERANCE_SECONDS).toBe(30)
  })

  it('a token expired 10 s ago is valid with the default tolerance', async () => {
    const { token, claims: signed } = await tenSecondsAgo()
    expect(signed.exp).toBe(tSeconds - 10)
    expect(await verifyAtT(token)).toEqual({ valid: true, claims: signed })
  })

  it('a token expired 10 s ago is expired with tolerance 0', async () => {
    const { token, claims: signed } = await tenSecondsAgo()
    expect(await verifyAtT(token, { clockToleranceSeconds: 0 })).toMatchObject(
      failure({ name: 'TokenExpiredError', expiredAt: iso(signed.exp) }),
    )
  })

  it('a token expired 31 s ago is expired with the default tolerance', async () => {
    const { token } = await sign({}, { now: at(-91) })
    expect(await verifyAtT(token)).toMatchObject(failure({ name: 'TokenExpiredError' }))
  })

  it('tolerance 0 refuses a token issued 1 s in the future', async () => {
    const { token } = await sign({}, { now: at(1) })
    expect(await verifyAtT(token, { clockToleranceSeconds: 0 })).toMatchObject(
      failure({ message: 'jwt issued in the future' }),
    )
  })

  it('nbf within the tolerance is accepted, beyond it refused', async () => {
    const { token } = await sign({ nbf: tSeconds + 20 })
    expect((await verifyAtT(token)).valid).toBe(true)
    expect(await verifyAtT(token, { clockToleranceSeconds: 0 })).toMatchObject(
      failure({ name: 'NotBeforeError' }),
    )
  })
})

describe('verifyToken: algorithm pinning', () => {
  it('an RS256 token presented to an ES256 key (no kid): invalid algorithm', async () => {
    const token = await rawToken(rs, fullClaims(), { kid: undefined })
    expect(decodeProtectedHeader(token)).not.toHaveProperty('kid')
    expect(await verifyAtT(token)).toMatchObject(tokenError('invalid algorithm', ALG_NOT_ALLOWED))
  })

  it("an RS256 token naming the ES256 key's kid: invalid algorithm", async () => {
    const token = await rawToken(rs, fullClaims(), { kid: es.kid })
    expect(await verifyAtT(token)).toMatchObject(tokenError('invalid algorithm', ALG_NOT_ALLOWED))
  })

  it('an RS256 token naming its own kid, to ES256 keys: no key matches the token', async () => {
    const { token } = await sign({}, {}, rs)
    expect(await verifyAtT(token)).toMatchObject(failure({ message: 'no key matches the token' }))
  })

  it('an EdDSA token to an ES256 key (no kid): invalid algorithm', async () => {
    const token = await rawToken(ed, fullClaims(), { kid: undefined })
    expect(await verifyAtT(token)).toMatchObject(tokenError('invalid algorithm', ALG_NOT_ALLOWED))
  })

  it.each([
    ['without kid', false],
    ['with the key kid', true],
  ])('alg none %s is refused', async (_label, withKid) => {
    for (const key of [es, rs]) {
      const header = { alg: 'none', typ: 'JWT', ...(withKid ? { kid: key.kid } : {}) }
      for (const signature of ['', 'AAAA']) {
        const token = `${b64url(header)}.${b64url(fullClaims())}.${signature}`
        expect(await verifyAtT(token, {}, keyList([key]))).toMatchObject(
          tokenError('invalid algorithm', ALG_NOT_ALLOWED),
        )
      }
    }
  })

  it('HS256 with the public key PEM as HMAC secret is refused (key confusion)', async () => {
    for (const kid of [rs.kid, undefined]) {
      const header = { alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) }
      const token = await new SignJWT(fullClaims())
        .setProtectedHeader(header)
        .sign(new TextEncoder().encode(rs.publicPem))
      expect(await verifyAtT(token, {}, keyList([rs]))).toMatchObject(
        tokenError('invalid algorithm', ALG_NOT_ALLOWED),
      )
    }
  })

  it('a key source that wrongly allows HS256 is still safe: the key is asymmetric', async () => {
    const algorithms = ['RS256', 'HS256'] as SigningAlgorithm[]
    const loose: KeySource = { name: 'loose', resolve: () => ({ key: rs.publicKey, algorithms }) }
    const token = await new SignJWT(fullClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(rs.publicPem))
    expect((await verifyAtT(token, {}, loose)).valid).toBe(false)
  })

  it('a kid not in the set: no key matches the token', async () => {
    const token = await rawToken(es, fullClaims(), { kid: 'not-a-known-kid' })
    expect(await verifyAtT(token)).toMatchObject(
      tokenError('no key matches the token', 'ERR_JWKS_NO_MATCHING_KEY'),
    )
  })

  it('no key: the refusal names the kid and typ the token carried and the key set consulted', async () => {
    const { token } = await sign({}, { typ: USER_TOKEN_TYPE }, rs)
    const set = localKeys(() => undefined, "servicea's keys at jwt-factory")
    expect(await verifyAtT(token, {}, set)).toEqual(
      failure({
        name: 'JsonWebTokenError',
        code: 'ERR_JWKS_NO_MATCHING_KEY',
        message: 'no key matches the token',
        kid: rs.kid,
        typ: USER_TOKEN_TYPE,
        keys: "servicea's keys at jwt-factory",
      }),
    )
  })

  it('a token without kid is accepted when the list has exactly one key', async () => {
    const token = await rawToken(es, fullClaims(), { kid: undefined })
    expect(decodeProtectedHeader(token)).not.toHaveProperty('kid')
    expect(await verifyAtT(token)).toEqual({ valid: true, claims: fullClaims() })
  })

  it('a token without kid is refused when the list has two keys', async () => {
    const token = await rawToken(es, fullClaims(), { kid: undefined })
    expect(await verifyAtT(token, {}, keyList([es, rs]))).toMatchObject(
      failure({ message: 'no key matches the token' }),
    )
  })

  it('with two keys, each token finds its own key by kid', async () => {
    const both = keyList([es, rs])
    for (const key of [es, rs]) {
      const { token } = await sign({}, {}, key)
      expect((await verifyAtT(token, {}, both)).valid).toBe(true)
    }
  })

  it('an empty key list matches nothing', async () => {
    const { token } = await sign()
    expect(await verifyAtT(token, {}, keyList([]))).toMatchObject(
      failure({ message: 'no key matches the token' }),
    )
  })

  it('localKeys passes the kid (or undefined) to the lookup', async () => {
    const seen: (string | undefined)[] = []
    const source = localKeys((kid) => {
      seen.push(kid)
      return es
    })
    await verifyAtT((await sign()).token, {}, source)
    await verifyAtT(await rawToken(es, fullClaims(), { kid: undefined }), {}, source)
    expect(seen).toEqual([es.kid, undefined])
  })

  it('a key source that throws never makes verifyToken throw', async () => {
    const broken: KeySource = {
      name: 'broken',
      resolve() {
        throw new Error('disk on fire')
      },
    }
    expect(await verifyAtT((await sign()).token, {}, broken)).toStrictEqual(
      tokenError('jwt malformed', 'ERR_JWT_INVALID'),
    )
  })
})

/**
 * Exactly what each refusal carries: the token's kid and typ and the key set consulted where the
 * key is in question (kids are public), nothing of the token where a claim failed.
 */
describe('verifyToken: what a refusal says', () => {
  it('a claim that failed: the expected value, nothing of the header', async () => {
    const { token } = await sign()
    expect(await verifyAtT(token, { audience: 'servicec' })).toStrictEqual(
      tokenError('jwt audience invalid. expected: servicec', CLAIM_FAILED),
    )
  })

  it('a typ that failed: the kid and typ the token carried', async () => {
    const { token } = await sign({}, { typ: USER_TOKEN_TYPE })
    expect(await verifyAtT(token)).toStrictEqual(
      failure({
        name: 'JsonWebTokenError',
        code: CLAIM_FAILED,
        message: 'jwt type invalid. expected: JWT',
        kid: es.kid,
        typ: USER_TOKEN_TYPE,
      }),
    )
  })

  it('a typ that is not a string: the kid only, never the value as typ', async () => {
    const token = await rawToken(es, fullClaims(), { typ: 7 })
    expect(await verifyAtT(token)).toStrictEqual(
      failure({
        name: 'JsonWebTokenError',
        code: CLAIM_FAILED,
        message: 'jwt type invalid. expected: JWT',
        kid: es.kid,
      }),
    )
  })

  it('a bad signature: the kid, the typ and the key set', async () => {
    const other = await generateSigningKey('ES256')
    const token = await rawToken(other, fullClaims(), { kid: es.kid })
    expect(await verifyAtT(token)).toStrictEqual(
      failure({
        name: 'JsonWebTokenError',
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
        message: 'invalid signature',
        kid: es.kid,
        typ: 'JWT',
        keys: 'the key list',
      }),
    )
  })

  it('no kid in the token: none in the refusal', async () => {
    const token = await rawToken(es, fullClaims(), { kid: undefined })
    expect(await verifyAtT(token, {}, keyList([es, rs]))).toStrictEqual(
      failure({
        name: 'JsonWebTokenError',
        code: 'ERR_JWKS_NO_MATCHING_KEY',
        message: 'no key matches the token',
        typ: 'JWT',
        keys: 'the key list',
      }),
    )
  })

  it('the key sets are named by default: the local key set, the key list', async () => {
    const { token } = await sign()
    for (const [keys, name] of [
      [localKeys(() => undefined), 'the local key set'],
      [keyList([]), 'the key list'],
    ] as const) {
      expect(await verifyAtT(token, {}, keys)).toMatchObject(failure({ keys: name }))
    }
  })
})

describe('verifyToken: strict reading before any key lookup', () => {
  /** A key source that counts lookups: structural refusals must not reach it (nor a JWKS fetch). */
  function counting() {
    const source = {
      name: 'counting',
      lookups: 0,
      resolve: (header: Parameters<KeySource['resolve']>[0]) => (
        source.lookups++,
        esKeys.resolve(header)
      ),
    }
    return source
  }
  const header = () => JSON.stringify({ alg: 'ES256', kid: es.kid, typ: 'JWT' })
  const payloadJson = () => JSON.stringify(fullClaims())

  it.each([
    ['a duplicate alg in the header', () => `{"alg":"none",${header().slice(1)}`, payloadJson],
    ['a duplicate sub in the payload', header, () => `{"sub":"admin",${payloadJson().slice(1)}`],
    [
      'a duplicate spelt with an escape',
      header,
      () => `{"\\u0073ub":"admin",${payloadJson().slice(1)}`,
    ],
  ])('%s, validly signed: jwt malformed, ERR_JWT_INVALID', async (_label, h, p) => {
    const token = signForged(es, h(), p(), { alg: 'ES256' })
    const source = counting()
    expect(await verifyAtT(token, {}, source)).toMatchObject(
      tokenError('jwt malformed', 'ERR_JWT_INVALID'),
    )
    expect(source.lookups).toBe(0)
  })

  // jose refuses a crit it does not understand (RFC 7515 §4.1.11), once the key is found.
  it('a crit header, validly signed: jwt malformed, ERR_JWT_INVALID', async () => {
    const token = signForged(es, `{"crit":["x"],"x":1,${header().slice(1)}`, payloadJson(), {
      alg: 'ES256',
    })
    expect(await verifyAtT(token)).toEqual(tokenError('jwt malformed', 'ERR_JWT_INVALID'))
  })

  it('the same token without the duplicate verifies (the signature is not what failed)', async () => {
    const token = signForged(es, header(), payloadJson(), { alg: 'ES256' })
    expect((await verifyAtT(token)).valid).toBe(true)
  })

  // Anyone holding a token can respell its signature segment (padding, unused low bits) as
  // they can flip an ECDSA S: the bytes signed are the same. jose accepts these spellings, and
  // so does this product: a token is told apart by its jti, never by its text.
  it('a valid token with "=" padding or another spelling of its signature: the same claims', async () => {
    const { token, claims: signed } = await sign()
    // 64 bytes leave 4 unused low bits in the last character: flipping the lowest keeps the bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet[alphabet.indexOf(token.at(-1)!) ^ 1]
    expect(Buffer.from(`${token.slice(0, -1)}${last}`.split('.')[2]!, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2]!, 'base64url'),
    )
    for (const twin of [`${token}==`, `${token.slice(0, -1)}${last}`]) {
      expect(await verifyAtT(twin)).toEqual({ valid: true, claims: signed })
    }
  })
})
