import { Hono } from 'hono'
import { localKeys, USER_TOKEN_TYPE, verifyToken } from '@jwt-factory/jwt'
import { bearerChallenge, readBearerToken, type BearerErrorCode } from '@jwt-factory/hono-auth'
import {
  addLogFields,
  BadRequestError,
  ForbiddenError,
  UnauthorizedError,
  type ServerEnv,
} from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { PERMISSION_ID } from '../users/user-record.ts'

const REALM = 'jwt-factory'

/**
 * AppMesh's POST /auth: is this user token good, and (X-Permission) may its user do this? Only
 * user tokens (typ at+jwt, the user key, an audience of USER_AUDIENCES): a service token is a 401
 * here, as a user token is at /verify (RFC 8725 §3.12).
 */
export function authRoutes({ config, userKeys, userStore, now }: FactoryContext) {
  const keys = localKeys((kid) => userKeys.lookup(kid))
  return new Hono<ServerEnv>().post('/auth', async (c) => {
    const permission = c.req.header('x-permission')?.trim() || undefined
    if (permission !== undefined && !PERMISSION_ID.test(permission)) {
      throw new BadRequestError(
        'X-Permission must be a permission id (letters, digits, ":", ".", "_", "-")',
      )
    }
    const token = readBearerToken(c)
    if (token === undefined) {
      throw unauthorized(
        'UnauthorizedError',
        'missing bearer token (Authorization: Bearer <token>)',
      )
    }
    const result = await verifyToken(token, keys, {
      typ: USER_TOKEN_TYPE,
      issuer: config.issuer,
      clockToleranceSeconds: config.clockToleranceSeconds,
      currentDate: now(),
    })
    if (!result.valid) throw unauthorized(result.error.name, result.error.message, 'invalid_token')
    const { claims } = result
    // verifyToken takes one audience; a user token may be for any configured one.
    const audiences = [claims.aud ?? []].flat()
    if (!audiences.some((a) => config.userAudiences.includes(a))) {
      const expected = `one of ${config.userAudiences.join(', ')}`
      throw unauthorized(
        'JsonWebTokenError',
        `jwt audience invalid. expected: ${expected}`,
        'invalid_token',
      )
    }
    const user = String(claims.sub)
    addLogFields(c, { user, permission })
    // The factory knows more than a token's other verifiers: a user locked or removed since the
    // token was issued is refused here at once (elsewhere the token lives until it expires).
    const current = userStore.get(user)
    if (!current || current.locked) {
      throw unauthorized(
        'UnauthorizedError',
        `user ${user} is locked or no longer exists`,
        'invalid_token',
      )
    }
    const scope = typeof claims.scope === 'string' ? claims.scope.split(' ') : []
    if (permission !== undefined && !scope.includes(permission)) {
      const err = new ForbiddenError(`user ${user} lacks permission ${permission}`)
      err.headers['WWW-Authenticate'] = bearerChallenge({
        realm: REALM,
        error: 'insufficient_scope',
        description: `needs ${permission}`,
        scope: permission,
      })
      throw err
    }
    return c.json({ permission: permission ?? null, success: true as const, user })
  })
}

/** A 401 named as the verifier names the failure (TokenExpiredError…), with its RFC 6750 challenge. */
function unauthorized(name: string, message: string, error?: BearerErrorCode): UnauthorizedError {
  const err = new UnauthorizedError(message)
  err.name = name
  const challenge = error ? { realm: REALM, error, description: message } : { realm: REALM }
  err.headers['WWW-Authenticate'] = bearerChallenge(challenge)
  return err
}
