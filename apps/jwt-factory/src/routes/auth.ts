import { Hono } from 'hono'
import { USER_TOKEN_TYPE, verifyToken } from '@jwt-factory/jwt'
import { readBearerToken, refuse, scopesOf, type Refusal } from '@jwt-factory/hono-auth'
import { addLogFields, BadRequestError, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { PERMISSION_ID } from '../users/user-record.ts'
import { FACTORY_NAME } from '../factory-name.ts'
import { unlessRevoked } from '../oauth/token-revoked.ts'

const ANSWER = { realm: FACTORY_NAME, style: 'bearer' } as const

/** A check beyond verification failed: refused as an invalid token (RFC 6750 invalid_token). */
const invalid = (name: string, message: string): Refusal => ({
  kind: 'invalid-token',
  error: {
    name,
    code: name === 'UnauthorizedError' ? 'ERR_UNAUTHORIZED' : 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    message,
  },
})

/**
 * AppMesh's POST /auth: is this user token good, and (X-Permission) may its user do this? Only
 * user tokens (typ at+jwt, the user key, an audience of USER_AUDIENCES): a service token is a 401
 * here, as a user token is at /verify (RFC 8725 §3.12).
 */
export function authRoutes({ config, userKeys, userStore, now, revocations }: FactoryContext) {
  const keys = userKeys.keySource()
  return new Hono<ServerEnv>().post('/auth', async (c) => {
    const permission = c.req.header('x-permission')?.trim() || undefined
    if (permission !== undefined && !PERMISSION_ID.test(permission)) {
      throw new BadRequestError(
        'X-Permission must be a permission id (letters, digits, ":", ".", "_", "-")',
      )
    }
    const token = readBearerToken(c)
    if (token === undefined) {
      const message = 'missing bearer token (Authorization: Bearer <token>)'
      return refuse(c, { kind: 'no-token', message }, ANSWER)
    }
    const verified = await verifyToken(token, keys, {
      typ: USER_TOKEN_TYPE,
      issuer: config.userIssuer,
      clockToleranceSeconds: config.clockToleranceSeconds,
      currentDate: now(),
    })
    const result = unlessRevoked(verified, revocations)
    if (!result.valid) return refuse(c, { kind: 'invalid-token', error: result.error }, ANSWER)
    const { claims } = result
    // verifyToken takes one audience; a user token may be for any configured one.
    const audiences = [claims.aud ?? []].flat()
    if (!audiences.some((a) => config.userAudiences.includes(a))) {
      const expected = `one of ${config.userAudiences.join(', ')}`
      return refuse(
        c,
        invalid('JsonWebTokenError', `jwt audience invalid. expected: ${expected}`),
        ANSWER,
      )
    }
    const user = String(claims.sub)
    addLogFields(c, { user, permission })
    // The factory knows more than a token's other verifiers: a user locked or removed since the
    // token was issued is refused here at once (elsewhere the token lives until it expires).
    const current = userStore.get(user)
    if (!current || current.locked) {
      return refuse(
        c,
        invalid('UnauthorizedError', `user ${user} is locked or no longer exists`),
        ANSWER,
      )
    }
    if (permission !== undefined && !scopesOf(claims).has(permission)) {
      const message = `user ${user} lacks permission ${permission}`
      return refuse(c, { kind: 'insufficient-scope', message, scopes: [permission] }, ANSWER)
    }
    return c.json({ permission: permission ?? null, success: true as const, user })
  })
}
