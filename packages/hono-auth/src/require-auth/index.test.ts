import { createHmac } from 'node:crypto'
import {
  generateSigningKey,
  keyList,
  SERVICE_TOKEN_TYPE,
  signToken,
  verificationKeyFromPem,
  verifyToken,
  type KeySource,
  type SigningKey,
  expiredVariantTime,
} from '@jwt-factory/jwt'
import { beforeAll, describe, expect, it } from 'vitest'
import { requireAuth, type RequireAuthOptions } from './index.ts'
import { AUDIENCE, ISSUER, protectedApp, userClaims, userToken } from './test-support.ts'

let key: SigningKey
let other: SigningKey
let keys: KeySource

beforeAll(async () => {
  ;[key, other] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')])
  // As a service loads the factory's public key from a PEM file.
  keys = keyList([await verificationKeyFromPem(key.publicPem, 'ES256')])
})

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)
/** Claims for hand-made tokens, which signToken does not fill in. */
const fresh = (extra = {}) => userClaims({ exp: now() + 60, iat: now(), ...extra })

type ErrorFields = { name: string; code: string; message: string }

async function expectRefused(res: Response, status: number, error: ErrorFields) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  // The verify error's details (kid, typ, key set, clock) come on top; verify.test.ts checks them.
  expect(await res.json()).toMatchObject({ error })
}

const claimFailed = (message: string): ErrorFields => ({
  name: 'JsonWebTokenError',
  code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
  message,
})
const forbidden = (message: string): ErrorFields => ({
  name: 'ForbiddenError',
  code: 'ERR_FORBIDDEN',
  message,
})

describe('requireAuth: admitting', () => {
  it('admits a user token from Authorization: Bearer, with the claims on the context', async () => {
    const guarded = protectedApp({ keys })
    const res = await guarded.bearer(await userToken(key))
    expect(res.status).toBe(200)
    const scopes = ['app-view', 'token-issue']
    expect(await res.json()).toEqual({ sub: 'alice', scopes, level: 2 })
    expect(guarded.calls).toBe(1)
  })

  it('admits a token from a cookie `token` holding `Bearer <token>` (PyMacaron)', async () => {
    const guarded = protectedApp({ keys })
    const token = await userToken(key)
    // As a browser sends back `Set-Cookie: token=Bearer%20…`, and with the space as is.
    for (const cookie of [`token=Bearer%20${token}`, `theme=dark; token=Bearer ${token}`]) {
      const res = await guarded.get({ cookie })
      expect(res.status).toBe(200)
    }
    expect(guarded.calls).toBe(2)
  })

  it('the header wins over the cookie', async () => {
    const guarded = protectedApp({ keys })
    const cookie = `token=Bearer%20${await userToken(key)}`
    const res = await guarded.get({ authorization: 'Bearer not.a.token', cookie })
    expect(res.status).toBe(401)
    expect(guarded.calls).toBe(0)
  })

  it('admits a service token where tokenType is JWT, and refuses a user token there', async () => {
    const guarded = protectedApp({ keys, tokenType: SERVICE_TOKEN_TYPE, audience: 'serviceb' })
    const claims = { iss: ISSUER, aud: 'serviceb', sub: 'servicea' }
    const service = await signToken(key, claims, { ttlSeconds: 60 })
    expect((await guarded.bearer(service.token)).status).toBe(200)
    const user = await userToken(key, { aud: 'serviceb' })
    const res = await guarded.bearer(user)
    await expectRefused(res, 401, claimFailed('jwt type invalid. expected: JWT'))
    expect(guarded.calls).toBe(1)
  })
})

describe("requireAuth: a route's own verify (a traced one)", () => {
  it('is asked with the token, the key source, the checked options and the request', async () => {
    const asked: unknown[] = []
    const guarded = protectedApp({
      keys,
      verify: (token, source, options, c) => {
        asked.push({ token, source, options, path: c.req.path })
        return verifyToken(token, source, options)
      },
    })
    const token = await userToken(key)
    expect((await guarded.bearer(token)).status).toBe(200)
    const options = { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', clockToleranceSeconds: 30 }
    expect(asked).toEqual([{ token, source: keys, options, path: '/protected' }])
  })

  it('its refusal is answered as any invalid token, and the handler never runs', async () => {
    const guarded = protectedApp({
      keys,
      verify: async () => ({
        valid: false,
        claims: {},
        error: { name: 'JsonWebTokenError', code: 'ERR_JWT_INVALID', message: 'jwt malformed' },
      }),
    })
    const res = await guarded.bearer(await userToken(key))
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    await expectRefused(res, 401, {
      name: 'JsonWebTokenError',
      code: 'ERR_JWT_INVALID',
      message: 'jwt malformed',
    })
    expect(guarded.calls).toBe(0)
  })
})

describe('requireAuth: 401', () => {
  it('no token: a challenge without error (RFC 6750 §3.1); the handler never runs', async () => {
    const guarded = protectedApp({ keys })
    const requests: Array<Record<string, string>> = [
      {},
      { authorization: 'Basic YWxpY2U6c2VjcmV0' },
      { cookie: 'token=abc' },
    ]
    for (const headers of requests) {
      const res = await guarded.get(headers)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="servicea"')
      await expectRefused(res, 401, {
        name: 'UnauthorizedError',
        code: 'ERR_UNAUTHORIZED',
        message: 'a bearer token is required',
      })
    }
    expect(guarded.calls).toBe(0)
  })

  it('uses the configured realm', async () => {
    const res = await protectedApp({ keys, realm: 'demo "mesh"' }).get()
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="demo \\"mesh\\""')
  })

  const invalid: Array<[string, () => Promise<string>, ErrorFields]> = [
    [
      'expired',
      () => userToken(key, {}, { now: expiredVariantTime(300) }),
      { name: 'TokenExpiredError', code: 'ERR_JWT_EXPIRED', message: 'jwt expired' },
    ],
    [
      'not yet valid (nbf in an hour)',
      () => userToken(key, { nbf: now() + 3600 }),
      { ...claimFailed('jwt not active'), name: 'NotBeforeError' },
    ],
    [
      'for another audience',
      () => userToken(key, { aud: 'serviceb' }),
      claimFailed('jwt audience invalid. expected: servicea'),
    ],
    [
      'from another issuer',
      () => userToken(key, { iss: 'https://evil.example' }),
      claimFailed(`jwt issuer invalid. expected: ${ISSUER}`),
    ],
    [
      'a service token (typ JWT) where a user token is expected (RFC 8725 §3.12)',
      async () => (await signToken(key, userClaims(), { ttlSeconds: 60 })).token,
      claimFailed('jwt type invalid. expected: at+jwt'),
    ],
    [
      'signed by a key this service does not know',
      () => userToken(other),
      {
        name: 'JsonWebTokenError',
        code: 'ERR_JWKS_NO_MATCHING_KEY',
        message: 'no key matches the token',
      },
    ],
    [
      'with a forged payload (a scope added)',
      async () => {
        const [header, , signature] = (await userToken(key)).split('.')
        return `${header}.${b64url(fresh({ scope: 'app-view app-admin' }))}.${signature}`
      },
      {
        name: 'JsonWebTokenError',
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
        message: 'invalid signature',
      },
    ],
    [
      'alg none',
      async () => `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(fresh())}.`,
      { name: 'JsonWebTokenError', code: 'ERR_JOSE_ALG_NOT_ALLOWED', message: 'invalid algorithm' },
    ],
    [
      'HS256 with the public key PEM as the HMAC secret (key confusion)',
      async () => {
        const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${b64url(fresh())}`
        return `${input}.${createHmac('sha256', key.publicPem).update(input).digest('base64url')}`
      },
      { name: 'JsonWebTokenError', code: 'ERR_JOSE_ALG_NOT_ALLOWED', message: 'invalid algorithm' },
    ],
    [
      'without a string subject',
      () => userToken(key, { sub: 42 as unknown as string }),
      claimFailed('jwt subject invalid'),
    ],
    [
      'not a JWT',
      async () => 'abc.def.ghi',
      { name: 'JsonWebTokenError', code: 'ERR_JWT_INVALID', message: 'jwt malformed' },
    ],
  ]

  it.each(invalid)('%s: 401 invalid_token with the verify error', async (_label, make, error) => {
    const guarded = protectedApp({ keys })
    const res = await guarded.bearer(await make())
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="servicea", error="invalid_token", error_description="${error.message}"`,
    )
    await expectRefused(res, 401, error)
    expect(guarded.calls).toBe(0)
  })

  it('an invalid token in the cookie is refused the same way', async () => {
    const guarded = protectedApp({ keys })
    const expired = await userToken(key, {}, { now: expiredVariantTime(300) })
    const res = await guarded.get({ cookie: `token=Bearer%20${expired}` })
    const error = { name: 'TokenExpiredError', code: 'ERR_JWT_EXPIRED', message: 'jwt expired' }
    await expectRefused(res, 401, error)
    expect(guarded.calls).toBe(0)
  })

  it('clockToleranceSeconds is honoured', async () => {
    // Expired 10 s ago: refused without leeway, admitted with 30 s.
    const token = await userToken(key, {}, { ttlSeconds: 20, now: new Date(Date.now() - 30_000) })
    expect((await protectedApp({ keys, clockToleranceSeconds: 0 }).bearer(token)).status).toBe(401)
    expect((await protectedApp({ keys, clockToleranceSeconds: 30 }).bearer(token)).status).toBe(200)
  })
})

describe('requireAuth: 403', () => {
  it('a missing permission: insufficient_scope naming it; the handler never runs', async () => {
    const guarded = protectedApp({ keys, permission: 'app-admin' })
    const res = await guarded.bearer(await userToken(key))
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="servicea", error="insufficient_scope", ' +
        'error_description="permission app-admin required", scope="app-admin"',
    )
    await expectRefused(res, 403, forbidden('permission app-admin required'))
    expect(guarded.calls).toBe(0)
    const admin = await userToken(key, { scope: 'app-view app-admin' })
    expect((await guarded.bearer(admin)).status).toBe(200)
    expect(guarded.calls).toBe(1)
  })

  it('permissions are whole scope tokens, from a string scope claim only', async () => {
    const guarded = protectedApp({ keys, permission: 'app-view' })
    for (const scope of ['app-viewer', 'xapp-view', 'app-view-all', ['app-view'], undefined]) {
      const res = await guarded.bearer(await userToken(key, { scope }))
      expect(res.status).toBe(403)
    }
    expect(guarded.calls).toBe(0)
  })

  it('scopes are all required; the challenge lists every required scope', async () => {
    const scopes = ['token-issue', 'users-admin']
    const guarded = protectedApp({ keys, permission: 'app-view', scopes })
    const res = await guarded.bearer(await userToken(key))
    const challenge = res.headers.get('www-authenticate')
    expect(challenge).toContain('scope="app-view token-issue users-admin"')
    await expectRefused(res, 403, forbidden('permission users-admin required'))
    const none = await guarded.bearer(await userToken(key, { scope: 'other' }))
    const message = 'permissions app-view, token-issue, users-admin required'
    await expectRefused(none, 403, forbidden(message))
    const all = await userToken(key, { scope: 'users-admin  token-issue app-view' })
    expect((await guarded.bearer(all)).status).toBe(200)
    expect(guarded.calls).toBe(1)
  })

  it('minLevel: a level below it, missing or not a number is refused', async () => {
    const guarded = protectedApp({ keys, minLevel: 3 })
    const low = await guarded.bearer(await userToken(key, { level: 2 }))
    const message = 'assurance level 3 required, token has 2'
    expect(low.headers.get('www-authenticate')).toBe(
      `Bearer realm="servicea", error="insufficient_scope", error_description="${message}"`,
    )
    await expectRefused(low, 403, forbidden(message))
    for (const level of [undefined, '3', 2.9]) {
      expect((await guarded.bearer(await userToken(key, { level }))).status).toBe(403)
    }
    expect(guarded.calls).toBe(0)
    for (const level of [3, 3.1, 4]) {
      const token = await userToken(key, { level, amr: ['pwd', 'otp'] })
      expect((await guarded.bearer(token)).status).toBe(200)
    }
    expect(guarded.calls).toBe(3)
  })

  it('a bad token is a 401 even when it also lacks the permission', async () => {
    const guarded = protectedApp({ keys, permission: 'app-admin' })
    expect(
      (await guarded.bearer(await userToken(key, {}, { now: expiredVariantTime(300) }))).status,
    ).toBe(401)
  })
})

describe('requireAuth: options are checked once, at creation', () => {
  const base = (): RequireAuthOptions => ({ issuer: ISSUER, audience: AUDIENCE, keys })
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['no options', () => undefined, /options must be an object/],
    ['no issuer', () => ({ ...base(), issuer: undefined }), /issuer must be a non-empty string/],
    ['a blank audience', () => ({ ...base(), audience: ' ' }), /audience must be a non-empty/],
    ['no keys', () => ({ ...base(), keys: undefined }), /keys must be a KeySource/],
    ['keys without resolve', () => ({ ...base(), keys: {} }), /keys must be a KeySource/],
    ['a permission with a space', () => ({ ...base(), permission: 'a b' }), /one scope token/],
    ['an empty permission', () => ({ ...base(), permission: '' }), /permission must be one/],
    ['scopes as a string', () => ({ ...base(), scopes: 'a b' }), /scopes must be an array/],
    ['a bad scope', () => ({ ...base(), scopes: ['ok', 'no"'] }), /scopes\[1\] must be one/],
    ['a negative minLevel', () => ({ ...base(), minLevel: -1 }), /minLevel must be a number >= 0/],
    ['a NaN minLevel', () => ({ ...base(), minLevel: Number.NaN }), /minLevel/],
    ['a string minLevel', () => ({ ...base(), minLevel: '3' }), /minLevel/],
    ['an empty tokenType', () => ({ ...base(), tokenType: '' }), /tokenType/],
    ['an empty realm', () => ({ ...base(), realm: '' }), /realm/],
    [
      'a clock tolerance of an hour',
      () => ({ ...base(), clockToleranceSeconds: 3600 }),
      /clockToleranceSeconds must be between 0 and 300/,
    ],
    ['a negative clock tolerance', () => ({ ...base(), clockToleranceSeconds: -1 }), /clockTol/],
    ['a misspelt option', () => ({ ...base(), permissions: 'x' }), /unknown option "permissions"/],
    ['a verify that is no function', () => ({ ...base(), verify: 'jose' }), /verify must be a/],
  ]

  it.each(bad)('%s: TypeError', (_label, options, message) => {
    expect(() => requireAuth(options() as RequireAuthOptions)).toThrow(TypeError)
    expect(() => requireAuth(options() as RequireAuthOptions)).toThrow(message)
  })

  it('accepts the minimal options and the full set', () => {
    expect(typeof requireAuth(base())).toBe('function')
    const full: RequireAuthOptions = {
      ...base(),
      permission: 'app-view',
      scopes: [],
      minLevel: 0,
      tokenType: 'JWT',
      realm: 'r',
      clockToleranceSeconds: 0,
    }
    expect(typeof requireAuth(full)).toBe('function')
  })
})
