import { Hono, type Context, type MiddlewareHandler } from 'hono'
import {
  answerRefusal,
  NO_TOKEN_RESULT,
  forwardUserAuthorization,
  getAuth,
  parseBearer,
  requireAuth,
  scopesOf,
  USER_AUTHORIZATION_HEADER,
  type AuthEnv,
  type Refusal,
} from '@jwt-factory/hono-auth'
import {
  tokenKid,
  USER_TOKEN_TYPE,
  type JWTPayload,
  type VerifyFailure,
  type VerifyResult,
  type VerifySuccess,
} from '@jwt-factory/jwt'
import { addLogFields, type ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import { outcome, tracedVerify } from '@jwt-factory/trace'
import { incomingTrace, type Trace } from '../trace.ts'
import { answerOf, scenarioOptions, verifyQuery, type ScenarioRun } from './caller-answers.ts'
import { serviceTokenVerifier } from './service-token-verifier.ts'
import { userTokenVerifier } from './user-token-verifier.ts'
import { answerWith } from './verdict.ts'

/** What a user must be allowed to do (policy.json) to get through to serviceb in scenario 5. */
export const SCENARIO5_PERMISSION = 'app-view'

/** servicea's route behind requireAuth: the verified user, and the run its check is traced in. */
export interface Scenario5Env {
  Variables: ServerEnv['Variables'] & AuthEnv['Variables'] & { run: ScenarioRun }
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
  // `?verify=` first, so a `?verify=mesh` (not built for scenario 5) is refused before the user is.
  const verifyFirst: MiddlewareHandler<Scenario5Env> = async function checkVerifyQuery(c, next) {
    verifyQuery(c)
    await next()
  }
  return new Hono<Scenario5Env>().get('/scenario5', verifyFirst, userTokenGuard(ctx), async (c) => {
    const { trace, expired } = c.get('run')
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
    return answerOf(c, answer)
  })
}

/**
 * requireAuth for user tokens: the factory's user issuer, this service's audience, `typ: at+jwt`
 * (a service token is refused, RFC 8725 §3.12), keys from the factory's user JWKS (cached;
 * fetched afresh only for a request with a JWKS fault). No permission here: serviceb decides
 * that. The JWKS is a hop like any other: when it cannot be had, requireAuth's 502 (504 on a
 * timeout) names the factory.
 */
export function userTokenGuard({
  config,
  userKeys,
  keysFor,
}: ServiceContext): MiddlewareHandler<Scenario5Env> {
  const me = config.name
  const guard = requireAuth({
    issuer: config.factoryUserIssuer,
    audience: me,
    keys: userKeys,
    tokenType: USER_TOKEN_TYPE,
    clockToleranceSeconds: config.clockToleranceSeconds,
    // The cached set, or with a JWKS fault on the request the set fetched afresh into it.
    verify: (token, _keys, options, c) =>
      tracedVerify((c.get('run') as ScenarioRun).trace, {
        by: me,
        token,
        keys: keysFor('user', c),
        options,
        source: 'user',
      }),
  })
  return async function verifyUserToken(c, next) {
    c.set('run', scenarioOptions(c))
    // requireAuth is typed for its own variable alone; this route's context holds it and more.
    return guard(c as unknown as Context<AuthEnv>, next)
  }
}

function scenario5Server(ctx: ServiceContext) {
  const { config, logger } = ctx
  const me = config.name
  const verifyServiceToken = serviceTokenVerifier(ctx)
  const verifyUserTokenFor = userTokenVerifier(ctx)

  /** The user token as servicea's users' token (its audience), then its permission. */
  async function verifyUserToken(c: Context, token: string, trace: Trace): Promise<UserCheck> {
    const result = await verifyUserTokenFor(c, token, { audience: SCENARIO_CALLER, trace })
    if (!result.valid) return result
    const check = permissionCheck(result)
    if (!check.valid) {
      trace.record(
        { kind: 'verify', from: me, to: me, call: `permission ${SCENARIO5_PERMISSION}` },
        { status: 403, result: outcome(check) },
      )
    }
    return check
  }

  /**
   * answerRefusal decides the status and challenge; the body says which part failed. Keys that
   * could not be had are the hop's 502 or 504 as answerRefusal writes it: nothing was judged.
   */
  function refuse(
    c: Context<ServerEnv>,
    refusal: Refusal,
    message: string,
    parts: { service: UserCheck; user?: UserCheck },
  ) {
    const answer = answerRefusal(refusal, { realm: me, style: 'verify-result' })
    const failed = parts.user ?? parts.service
    const why = failed.valid ? message : `${message}: ${failed.error.message}`
    const body = answer.status >= 500 ? answer.body : { message, valid: false, ...parts }
    return answerWith(c, { me, answer, body, why })
  }

  return new Hono<ServerEnv>().get('/scenario5-server', async (c) => {
    const trace = incomingTrace(c)
    // Only the Authorization header: a service never sends its token in a cookie.
    const serviceToken = parseBearer(c.req.header('authorization'))
    if (serviceToken === undefined) {
      const service = NO_TOKEN_RESULT
      return refuse(c, { kind: 'no-token' }, 'no service token', { service })
    }
    const service = await verifyServiceToken(c, serviceToken, trace)
    if (!service.valid) {
      const refusal = { kind: 'invalid-token', error: service.error } as const
      return refuse(c, refusal, 'invalid service token', { service })
    }
    const userToken = parseBearer(c.req.header(USER_AUTHORIZATION_HEADER))
    if (userToken === undefined) {
      return refuse(c, { kind: 'no-token' }, 'no user token', {
        service,
        user: NO_TOKEN_RESULT,
      })
    }
    const user = await verifyUserToken(c, userToken, trace)
    if (!user.valid) {
      const forbidden = user.error.name === 'ForbiddenError'
      const refusal: Refusal = forbidden
        ? {
            kind: 'insufficient-scope',
            message: user.error.message,
            scopes: [SCENARIO5_PERMISSION],
          }
        : { kind: 'invalid-token', error: (user as VerifyFailure).error }
      const message = forbidden
        ? `permission ${SCENARIO5_PERMISSION} required`
        : 'invalid user token'
      return refuse(c, refusal, message, { service, user })
    }
    const sub = String(user.claims.sub)
    const kids = `service kid ${tokenKid(serviceToken) ?? 'none'}, user kid ${tokenKid(userToken) ?? 'none'}`
    logger.info(
      { rid: c.get('requestId') },
      `${me}: ${SCENARIO_CALLER} on behalf of ${sub} admitted (${kids})`,
    )
    addLogFields(c, { sub: SCENARIO_CALLER, user: sub, valid: true })
    return c.json({ valid: true, service, user }, 200)
  })
}

/** The verified user may do what scenario 5 needs (its `scope` holds the permission). */
function permissionCheck(result: VerifySuccess): VerifySuccess | UserForbidden {
  if (scopesOf(result.claims).has(SCENARIO5_PERMISSION)) return result
  const message = `user ${String(result.claims.sub)} lacks permission ${SCENARIO5_PERMISSION}`
  return {
    valid: false,
    error: { name: 'ForbiddenError', code: 'ERR_FORBIDDEN', message },
    claims: result.claims,
  }
}
