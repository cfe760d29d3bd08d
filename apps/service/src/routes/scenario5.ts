import { Hono, type Context, type MiddlewareHandler } from 'hono'
import {
  forwardUserAuthorization,
  getAuth,
  requireAuth,
  type AuthEnv,
} from '@jwt-factory/hono-auth'
import { USER_TOKEN_TYPE } from '@jwt-factory/jwt'
import { BadGatewayError, NotFoundError, type ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from '../deps.ts'
import { FACTORY_HOP } from '../peers/factory-client.ts'
import { elapsedSince } from '../trace.ts'
import { answerOf, scenarioHops, scenarioOptions, verifyQuery } from './scenario-hops.ts'

/** servicea's routes behind requireAuth: the verified user, and how long verifying took. */
interface Scenario5Env {
  Variables: ServerEnv['Variables'] & AuthEnv['Variables'] & { userCheckMs: number }
}

/**
 * The calling side of scenario 5, on servicea: the mesh policy "only logged-in users, and only
 * through servicea" without a mesh. A user token (from the factory's POST /login with
 * `X-Audience: servicea`) in `Authorization: Bearer` or the `token` cookie is checked here with
 * requireAuth (401 when absent or invalid); then servicea calls serviceb with its OWN service
 * token (`?expired=1`: the expired one) and the user's token in X-User-Authorization, and answers
 * what serviceb answered. `?trace=1` and `?verify=jwks` as in the other scenarios.
 */
export function scenario5Routes(ctx: ServiceContext) {
  const me = ctx.config.name
  const app = new Hono<Scenario5Env>()
  if (me !== 'servicea') {
    return app.get('/scenario5', () => {
      throw new NotFoundError(
        `scenarios run on servicea (curl localhost:3000/scenario5); ${me} answers /scenario5-server`,
      )
    })
  }
  const { factoryToken, call } = scenarioHops(ctx)
  return app.get('/scenario5', userTokenGuard(ctx), async (c) => {
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
    const token = await factoryToken(c, trace, 'serviceb', expired)
    const headers = forwardUserAuthorization(c)
    const answer = await call(c, trace, {
      peer: 'serviceb',
      path: `/scenario5-server${verifyQuery(c)}`,
      token,
      headers,
    })
    return answerOf(c, trace, answer)
  })
}

/**
 * requireAuth for user tokens: the factory's issuer, this service's audience, `typ: at+jwt` (a
 * service token is refused, RFC 8725 §3.12), keys from the factory's JWKS (cached, never fetched
 * per request). No permission here: serviceb decides that. The JWKS is a hop like any other:
 * when it cannot be had, a 502 naming the factory rather than requireAuth's anonymous 503.
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
    if (refused?.status === 503) {
      throw new BadGatewayError(
        FACTORY_HOP,
        `${FACTORY_HOP} keys are unavailable: ${config.name} cannot check the user token`,
      )
    }
    return refused
  }
}
