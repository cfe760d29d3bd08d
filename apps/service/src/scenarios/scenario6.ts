import { Hono } from 'hono'
import { getAuth, parseBearer } from '@jwt-factory/hono-auth'
import { actChainText } from '@jwt-factory/jwt'
import { addLogFields, isFlagSet, NotFoundError, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ServiceName } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import type { PeerName } from '../peers/hop-client.ts'
import { incomingTrace } from '../trace.ts'
import { answerOf } from './caller-answers.ts'
import { userTokenGuard, type Scenario5Env } from './scenario5.ts'
import { userTokenVerifier } from './user-token-verifier.ts'
import { missingToken, verdict } from './verdict.ts'

/**
 * Each hop of the chain: who must have acted before it, most recent first (RFC 8693 §4.1 nests
 * `act`, the latest actor outermost), and whom it passes the user on to.
 */
const HOPS: Partial<Record<ServiceName, { actors: readonly string[]; next?: PeerName }>> = {
  serviceb: { actors: ['servicea'], next: 'servicec' },
  servicec: { actors: ['serviceb', 'servicea'] },
}

/**
 * Scenario 6: one user's request through servicea → serviceb → servicec, each hop exchanging the
 * token it got for one for the next audience (RFC 8693 token exchange at the factory's POST
 * /token), so servicec sees the user as `sub` and who carried the request in `act`.
 *
 * The calling side (servicea): a user token for servicea (POST /login with `X-Audience:
 * servicea`), checked as in scenario 5; servicea exchanges it for serviceb and calls serviceb
 * with the result. `?skip=1`: servicea asks for servicec straight away; the factory's exchange
 * policy refuses (`invalid_target`) and servicea answers 403 with the factory's words. `?trace=1`
 * shows each exchange and each check.
 *
 * The verifying side (serviceb, servicec): the bearer token must be a user token of the factory's
 * user issuer (`typ: at+jwt`, the user key) for this service, and its `act` chain exactly the
 * hops before it: serviceb wants `servicea`, servicec `serviceb` then `servicea`. serviceb then
 * exchanges the token for servicec and answers with servicec's answer inside its own.
 */
export function scenario6(ctx: ServiceContext) {
  return {
    caller: new Hono<ServerEnv>().route('/', scenario6Caller(ctx)),
    server: scenario6Server(ctx),
  }
}

function scenario6Caller(ctx: ServiceContext) {
  const { hops } = ctx
  return new Hono<Scenario5Env>().get('/scenario6', userTokenGuard(ctx), async (c) => {
    const { trace } = c.get('run')
    const first: PeerName = isFlagSet(c.req.query('skip')) ? 'servicec' : 'serviceb'
    const token = await hops.exchangeToken(c, trace, getAuth(c).token, first)
    const answer = await hops.callPeer(c, trace, { peer: first, path: '/scenario6-server', token })
    return answerOf(c, answer)
  })
}

function scenario6Server(ctx: ServiceContext) {
  const { config, hops } = ctx
  const me = config.name
  const hop = HOPS[me]
  const verifyUserToken = userTokenVerifier(ctx)
  return new Hono<ServerEnv>().get('/scenario6-server', async (c) => {
    if (!hop) throw new NotFoundError(`${me} is not a hop of scenario 6 (serviceb, servicec are)`)
    const trace = incomingTrace(c)
    // Only the Authorization header: a service never sends a token in a cookie.
    const token = parseBearer(c.req.header('authorization'))
    if (token === undefined) return missingToken(c, me)
    const result = await verifyUserToken(c, token, { audience: me, trace, actors: hop.actors })
    if (!result.valid) return verdict(c, me, token, result)
    const expected = actChainText(hop.actors)
    const user = String(result.claims.sub)
    c.get('logger').info({ rid: c.get('requestId') }, `${me}: ${user} admitted through ${expected}`)
    addLogFields(c, { user, valid: true })
    if (!hop.next) return c.json({ valid: true, by: me, claims: result.claims }, 200)
    const next = await hops.exchangeToken(c, trace, token, hop.next)
    const answer = await hops.callPeer(c, trace, {
      peer: hop.next,
      path: '/scenario6-server',
      token: next,
    })
    const body = {
      valid: answer.status === 200,
      by: me,
      claims: result.claims,
      [hop.next]: answer.body,
    }
    return c.json(body, answer.status as ContentfulStatusCode)
  })
}
