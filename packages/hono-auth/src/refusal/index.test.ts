import { describe, expect, it } from 'vitest'
import { answerRefusal, type TokenError } from './index.ts'

const expired: TokenError = {
  name: 'TokenExpiredError',
  code: 'ERR_JWT_EXPIRED',
  message: 'jwt expired',
  expiredAt: '2030-01-01T00:00:00.000Z',
}
const bearer = { realm: 'serviceb', style: 'bearer' } as const
const demo = { realm: 'serviceb', style: 'verify-result' } as const

describe('answerRefusal: one answer per refusal, in the style of the place', () => {
  it('no token: 401 and a challenge without error (RFC 6750 §3.1), in both styles', () => {
    expect(answerRefusal({ kind: 'no-token' }, bearer)).toEqual({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="serviceb"' },
      body: {
        error: {
          name: 'UnauthorizedError',
          code: 'ERR_UNAUTHORIZED',
          message: 'a bearer token is required',
        },
      },
      reason: 'no token',
    })
    // The original demo's body for a call without a token.
    expect(answerRefusal({ kind: 'no-token' }, demo)).toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="serviceb"' },
      body: {
        message: 'no token',
        valid: false,
        error: { name: 'JsonWebTokenError', code: 'ERR_JWS_INVALID' },
        claims: {},
      },
    })
  })

  it('an invalid token: 401 invalid_token for a resource, 403 with the result for the demo', () => {
    const challenge = {
      'WWW-Authenticate':
        'Bearer realm="serviceb", error="invalid_token", error_description="jwt expired"',
    }
    expect(answerRefusal({ kind: 'invalid-token', error: expired }, bearer)).toEqual({
      status: 401,
      headers: challenge,
      body: { error: expired },
      reason: 'ERR_JWT_EXPIRED',
    })
    expect(answerRefusal({ kind: 'invalid-token', error: expired }, demo)).toEqual({
      status: 403,
      headers: challenge,
      body: { message: 'invalid token', valid: false, error: expired, claims: {} },
      reason: 'ERR_JWT_EXPIRED',
    })
  })

  it('a token that came in a body (POST /verify): the result alone, no challenge', () => {
    const answer = answerRefusal(
      { kind: 'invalid-token', error: expired },
      { ...demo, labelled: false, challenge: false },
    )
    expect(answer).toMatchObject({
      status: 403,
      headers: {},
      body: { valid: false, error: expired, claims: {} },
    })
    expect(answer.body).not.toHaveProperty('message')
  })

  it('insufficient scope: 403 insufficient_scope naming the scopes needed', () => {
    const refusal = {
      kind: 'insufficient-scope',
      message: 'permission app-view required',
      scopes: ['app-view'],
    } as const
    expect(answerRefusal(refusal, bearer)).toEqual({
      status: 403,
      headers: {
        'WWW-Authenticate':
          'Bearer realm="serviceb", error="insufficient_scope", ' +
          'error_description="permission app-view required", scope="app-view"',
      },
      body: {
        error: {
          name: 'ForbiddenError',
          code: 'ERR_FORBIDDEN',
          message: 'permission app-view required',
        },
      },
      reason: 'insufficient_scope',
    })
  })

  it.each([
    ['ERR_JWKS_UNAVAILABLE', 502, 'BadGatewayError', 'ERR_BAD_GATEWAY'],
    ['ERR_JWKS_TIMEOUT', 504, 'GatewayTimeoutError', 'ERR_GATEWAY_TIMEOUT'],
  ] as const)(
    '%s: the token was never judged: %i naming the hop, no challenge, in both styles',
    (code, status, name, bodyCode) => {
      const error: TokenError = {
        name: 'JsonWebTokenError',
        code,
        message: 'signing keys unavailable: the JWKS at https://localhost:5443/jwks/servicea',
        hop: 'jwt-factory',
      }
      for (const style of [bearer, demo]) {
        expect(answerRefusal({ kind: 'invalid-token', error }, style)).toEqual({
          status,
          headers: {},
          body: {
            error: {
              name,
              code: bodyCode,
              message: `serviceb cannot check the token: ${error.message}`,
              hop: 'jwt-factory',
            },
          },
          reason: code,
        })
      }
    },
  )
})
