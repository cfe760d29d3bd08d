import { Hono, type Context } from 'hono'
import { bearerChallenge, parseBearer, USER_AUTHORIZATION_HEADER } from '@jwt-factory/hono-auth'
import {
  KEYS_UNAVAILABLE_CODES,
  tokenKid,
  USER_TOKEN_TYPE,
  verifyToken,
  type JWTPayload,
  type VerifyFailure,
  type VerifyResult,
  type VerifySuccess,
} from '@jwt-factory/jwt'
import { addLogFields, BadGatewayError, type ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from '../deps.ts'
import { FACTORY_HOP } from '../peers/factory-client.ts'
import { elapsedSince, Trace, TRACE_HEADER } from '../trace.ts'
import { withTrace } from './scenario-hops.ts'
import { SCENARIO_CALLER, serviceTokenVerifier } from './scenario-servers.ts'

/** What a user must be allowed to do (policy.json) to get through to serviceb in scenario 5. */
export const SCENARIO5_PERMISSION = 'app-view'

/** A user token that verified but lacks the permission: its claims, and why it is refused. */
interface UserForbidden {
  valid: false
  error: { name: 'ForbiddenError'; code: 'ERR_FORBIDDEN'; message: string }
  claims: JWTPayload
}

type UserCheck = VerifyResult | UserForbidden

const NO_TOKEN: VerifyFailure = {
  valid: false,
  error: { name: 'JsonWebTokenError', message: 'jwt must be provided', code: 'ERR_JWS_INVALID' },
  claims: {},
}

/**
 * The verifying side of scenario 5 (serviceb). It admits a call only when BOTH hold:
 * - `Authorization: Bearer <service token>`: servicea's own factory token for this service,
 *   checked as in scenario 1 (the factory's POST /verify/servicea; `?verify=jwks` locally), so
 *   `typ: JWT`, subject servicea, audience this service;
 * - `X-User-Authorization: Bearer <user token>`: a user token for servicea (the only way in is
 *   through servicea), `typ: at+jwt`, verified with the factory's JWKS, whose `scope` holds
 *   `app-view`.
 * Answers `{ valid: true, service: { valid, claims }, user: { valid, claims } }`; refusals add a
 * `message` and say which part failed: no token 401, an invalid one or a missing permission 403.
 * The service token is checked first: a caller that is not servicea learns nothing about a user
 * token.
 */
export function scenario5ServerRoutes(ctx: ServiceContext) {
  const { config, userKeys, logger } = ctx
  const me = config.name
  const verifyServiceToken = serviceTokenVerifier(ctx)

  async function verifyUserToken(token: string, trace: Trace): Promise<UserCheck> {
    const started = performance.now()
    const result = await verifyToken(token, userKeys, {
      issuer: config.factoryIssuer,
      audience: SCENARIO_CALLER,
      typ: USER_TOKEN_TYPE,
      clockToleranceSeconds: config.clockToleranceSeconds,
    })
    if (!result.valid && KEYS_UNAVAILABLE_CODES.has(result.error.code)) {
      throw new BadGatewayError(
        FACTORY_HOP,
        `${FACTORY_HOP} keys are unavailable: ${result.error.message}`,
      )
    }
    const check = result.valid ? permissionCheck(result) : result
    const traced = check.valid ? 'valid' : `${check.error.name}: ${check.error.message}`
    trace.add({
      from: me,
      to: me,
      call: 'verify user token with the JWKS of jwt-factory',
      status: check.valid ? 200 : 403,
      ms: elapsedSince(started),
      result: traced,
    })
    return check
  }

  function refuse(
    c: Context<ServerEnv>,
    trace: Trace,
    status: 401 | 403,
    message: string,
    body: { service: UserCheck; user?: UserCheck },
    challenge: string,
  ) {
    const failed = body.user ?? body.service
    const reason = failed.valid ? message : `${message}: ${failed.error.message}`
    logger.info({ rid: c.get('requestId') }, `${me}: rejected: ${reason}`)
    addLogFields(c, { valid: false, error: reason })
    c.header('WWW-Authenticate', challenge)
    return c.json(withTrace({ message, valid: false, ...body }, trace), status)
  }

  return new Hono<ServerEnv>().get('/scenario5-server', async (c) => {
    const trace = new Trace(c.req.header(TRACE_HEADER) === '1')
    // Only the Authorization header: a service never sends its token in a cookie.
    const serviceToken = parseBearer(c.req.header('authorization'))
    if (serviceToken === undefined) {
      return refuse(
        c,
        trace,
        401,
        'no service token',
        { service: NO_TOKEN },
        bearerChallenge({ realm: me }),
      )
    }
    const service = await verifyServiceToken(c, serviceToken, trace)
    if (!service.valid) {
      const challenge = bearerChallenge({
        realm: me,
        error: 'invalid_token',
        description: service.error.message,
      })
      return refuse(c, trace, 403, 'invalid service token', { service }, challenge)
    }
    const userToken = parseBearer(c.req.header(USER_AUTHORIZATION_HEADER))
    if (userToken === undefined) {
      return refuse(
        c,
        trace,
        401,
        'no user token',
        { service, user: NO_TOKEN },
        bearerChallenge({ realm: me }),
      )
    }
    const user = await verifyUserToken(userToken, trace)
    if (!user.valid) {
      const forbidden = user.error.name === 'ForbiddenError'
      const challenge = forbidden
        ? bearerChallenge({
            realm: me,
            error: 'insufficient_scope',
            description: user.error.message,
            scope: SCENARIO5_PERMISSION,
          })
        : bearerChallenge({ realm: me, error: 'invalid_token', description: user.error.message })
      const message = forbidden
        ? `permission ${SCENARIO5_PERMISSION} required`
        : 'invalid user token'
      return refuse(c, trace, 403, message, { service, user }, challenge)
    }
    const sub = String(user.claims.sub)
    const kids = `service kid ${tokenKid(serviceToken) ?? 'none'}, user kid ${tokenKid(userToken) ?? 'none'}`
    logger.info(
      { rid: c.get('requestId') },
      `${me}: ${SCENARIO_CALLER} on behalf of ${sub} admitted (${kids})`,
    )
    addLogFields(c, { sub: SCENARIO_CALLER, user: sub, valid: true })
    return c.json(withTrace({ valid: true, service, user }, trace), 200)
  })
}

/** RFC 9068 §2.2.3: `scope` is space-separated; anything but a string grants nothing. */
function permissionCheck(result: VerifySuccess): VerifySuccess | UserForbidden {
  const { scope, sub } = result.claims
  const scopes = typeof scope === 'string' ? scope.split(' ') : []
  if (scopes.includes(SCENARIO5_PERMISSION)) return result
  const message = `user ${String(sub)} lacks permission ${SCENARIO5_PERMISSION}`
  return {
    valid: false,
    error: { name: 'ForbiddenError', code: 'ERR_FORBIDDEN', message },
    claims: result.claims,
  }
}
