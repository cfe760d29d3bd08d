import { Hono, type Context, type MiddlewareHandler } from 'hono'
import {
  bearerChallenge,
  forwardUserAuthorization,
  getAuth,
  parseBearer,
  requireAuth,
  USER_AUTHORIZATION_HEADER,
  type AuthEnv,
} from '@jwt-factory/hono-auth'
import {
  tokenKid,
  USER_TOKEN_TYPE,
  verifyToken,
  type JWTPayload,
  type VerifyResult,
  type VerifySuccess,
} from '@jwt-factory/jwt'
import { addLogFields, BadGatewayError, type ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import { FACTORY_HOP } from '../peers/hop-client.ts'
import { elapsedSince, incomingTrace, outcome, withTrace, type Trace } from '../trace.ts'
import { answerOf, scenarioOptions, verifyQuery } from './caller-answers.ts'
import { serviceTokenVerifier, throwIfKeysUnavailable } from './service-token-verifier.ts'
import { NO_TOKEN } from './verdict.ts'

/** What a user must be allowed to do (policy.json) to get through to serviceb in scenario 5. */
export const SCENARIO5_PERMISSION = 'app-view'

/** servicea's route behind requireAuth: the verified user, and how long verifying took. */
interface Scenario5Env {
  Variables: ServerEnv['Variables'] & AuthEnv['Variables'] & { userCheckMs: number }
}

/** A user token that verified but lacks the permission: its claims, and why it is refused. */
interface UserForbidden {
  valid: false
  error: { name: 'ForbiddenError'; code: 'ERR_FORBIDDEN'; message: string }
  claims: JWTPayload
}

type UserCheck = VerifyResult | UserForbidden

/**
 * Scenario 5: a user, only through servicea; the mesh policy "only logged-in users, and only
 * through servicea" without a mesh.
 *
 * The calling side (servicea): a user token (from the factory's POST /login with
 * `X-Audience: servicea`) in `Authorization: Bearer` or the `token` cookie is checked with
 * requireAuth (401 when absent or invalid); then servicea calls serviceb with its OWN service
 * token (`?expired=1`: the expired one) and the user's token in X-User-Authorization, and answers
 * what serviceb answered. `?trace=1` and `?verify=jwks` as in the other scenarios.
 *
 * The verifying side (serviceb) admits a call only when BOTH hold:
 * - `Authorization: Bearer <service token>`: servicea's own factory token for this service,
 *   checked as in scenario 1, so `typ: JWT`, subject servicea, audience this service;
 * - `X-User-Authorization: Bearer <user token>`: a user token for servicea (the only way in is
 *   through servicea), `typ: at+jwt`, verified with the factory's JWKS, whose `scope` holds
 *   `app-view`.
 * Answers `{ valid: true, service: { valid, claims }, user: { valid, claims } }`; refusals add a
 * `message` and say which part failed: no token 401, an invalid one or a missing permission 403.
 * The service token is checked first: a caller that is not servicea learns nothing about a user
 * token.
 */
export function scenario5(ctx: ServiceContext) {
  // The caller's own variables (the verified user) stay inside its sub-app.
  const caller = new Hono<ServerEnv>().route('/', scenario5Caller(ctx))
  return { caller, server: scenario5Server(ctx) }
}

function scenario5Caller(ctx: ServiceContext) {
  const { config, hops } = ctx
  const me = config.name
  return new Hono<Scenario5Env>().get('/scenario5', userTokenGuard(ctx), async (c) => {
    const { trace, expired } = scenarioOptions(c)
    const { claims } = getAuth(c)
    trace.add({
      from: me,
      to: me,
      call: 'verify user token with the JWKS of jwt-factory',
      status: 200,
      ms: c.get('userCheckMs'),
      token: { sub: claims.sub, aud: claims.aud },
    })
    const token = await hops.serviceToken(c, trace, 'serviceb', expired)
    const answer = await hops.callPeer(c, trace, {
      peer: 'serviceb',
      path: `/scenario5-server${verifyQuery(c)}`,
      token,
      headers: forwardUserAuthorization(c),
      // serviceb refuses a bad user token as invalid_token too: only its `service` part is ours.
      refusedOwnToken: (body) =>
        (body as { service?: { valid?: unknown } })?.service?.valid === false,
    })
    return answerOf(c, trace, answer)
  })
}

/**
 * requireAuth for user tokens: the factory's issuer, this service's audience, `typ: at+jwt` (a
 * service token is refused, RFC 8725 §3.12), keys from the factory's JWKS (cached, never fetched
 * per request). No permission here: serviceb decides that. The JWKS is a hop like any other:
 * when it cannot be had, requireAuth's 502 names the factory; servicea's says which check it
 * could not make (a timeout stays requireAuth's 504).
 */
function userTokenGuard({ config, userKeys }: ServiceContext): MiddlewareHandler<Scenario5Env> {
  const guard = requireAuth({
    issuer: config.factoryIssuer,
    audience: config.name,
    keys: userKeys,
    tokenType: USER_TOKEN_TYPE,
    clockToleranceSeconds: config.clockToleranceSeconds,
  })
  return async function verifyUserToken(c, next) {
    const started = performance.now()
    // requireAuth is typed for its own variable alone; this route's context holds it and more.
    const refused = await guard(c as unknown as Context<AuthEnv>, async () => {
      c.set('userCheckMs', elapsedSince(started))
      await next()
    })
    if (refused?.status === 502) {
      throw new BadGatewayError(
        FACTORY_HOP,
        `${FACTORY_HOP} keys are unavailable: ${config.name} cannot check the user token`,
      )
    }
    return refused
  }
}

function scenario5Server(ctx: ServiceContext) {
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
    throwIfKeysUnavailable(result)
    const check = result.valid ? permissionCheck(result) : result
    trace.add({
      from: me,
      to: me,
      call: 'verify user token with the JWKS of jwt-factory',
      status: check.valid ? 200 : 403,
      ms: elapsedSince(started),
      result: outcome(check),
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
    const trace = incomingTrace(c)
    // Only the Authorization header: a service never sends its token in a cookie.
    const serviceToken = parseBearer(c.req.header('authorization'))
    if (serviceToken === undefined) {
      const challenge = bearerChallenge({ realm: me })
      return refuse(c, trace, 401, 'no service token', { service: NO_TOKEN }, challenge)
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
      const challenge = bearerChallenge({ realm: me })
      return refuse(c, trace, 401, 'no user token', { service, user: NO_TOKEN }, challenge)
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
