import { Hono, type Context } from 'hono'
import { signToken } from '@jwt-factory/jwt'
import { HttpError, isFlagSet, NotFoundError, ServiceUnavailableError, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ServiceContext } from '../deps.ts'
import { FACTORY_HOP } from '../peers/factory-client.ts'
import type { PeerName } from '../peers/peer-client.ts'
import { TokenCache } from '../peers/token-cache.ts'
import { elapsedSince, Trace } from '../trace.ts'

interface HopCall {
  peer: PeerName
  path: string
  token: string
}

interface HopAnswer {
  status: number
  body: unknown
}

/**
 * The calling side of scenarios 1-4, on servicea. 1 and 2 get tokens from the factory (the keys
 * stay there); 3 and 4 sign with servicea's own key. `?expired=1` makes the (second) token an
 * expired one; `?trace=1` adds the hops to the answer.
 */
export function scenarioRoutes(ctx: ServiceContext) {
  const { config, factory, peers, scenario3, logger } = ctx
  const me = config.name

  const issue = (requestId: string, aud: string, expired: boolean) => {
    logger.info({ rid: requestId }, `${me} → ${FACTORY_HOP}: token for aud=${aud}${expired ? ' (expired)' : ''}`)
    return factory.issueToken(me, { aud }, { expired, requestId })
  }
  // Valid tokens are reused until close to expiry; an expired one is always asked for afresh.
  const tokens = new TokenCache()

  async function factoryToken(c: Context<ServerEnv>, trace: Trace, aud: PeerName, expired: boolean) {
    const started = performance.now()
    const requestId = c.get('requestId')
    const fresh = isFlagSet(c.req.query('fresh'))
    const { token, source } = expired
      ? { token: (await issue(requestId, aud, true)).token, source: 'issued' as const }
      : await tokens.get(aud, () => issue(requestId, aud, false), { fresh })
    const call = source === 'issued' ? `POST /issueToken/${me}` : 'reuse cached token'
    trace.add({ from: me, to: source === 'issued' ? FACTORY_HOP : me, call, status: 200, ms: elapsedSince(started), token: { sub: me, aud, expired, source } })
    return token
  }

  async function localToken(trace: Trace, aud: PeerName, expired: boolean) {
    const key = scenario3.signingKey
    if (!key) throw new ServiceUnavailableError(`${me} has no scenario-3 key: run npm run keys, or POST /gen-keys`)
    const started = performance.now()
    const { token } = await signToken(key, { iss: config.scenario3.issuer, sub: me, aud }, { ttlSeconds: config.scenario3.ttlSeconds, expired })
    trace.add({ from: me, to: me, call: 'sign locally', status: 200, ms: elapsedSince(started), token: { iss: config.scenario3.issuer, sub: me, aud, expired, kid: key.kid } })
    return token
  }

  async function call(c: Context<ServerEnv>, trace: Trace, { peer, path, token }: HopCall): Promise<HopAnswer> {
    const started = performance.now()
    const requestId = c.get('requestId')
    try {
      const answer = await peers.call(peer, path, token, { requestId, trace: trace.enabled })
      // The peer's own hops finished before its answer did: they come first.
      const body = trace.adopt(answer.body)
      trace.add({ from: me, to: peer, call: `GET ${path}`, status: answer.status, ms: elapsedSince(started) })
      logger.info({ rid: requestId, status: answer.status }, `${me} → ${peer}: ${path} answered ${answer.status}`)
      return { status: answer.status, body }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      trace.add({ from: me, to: peer, call: `GET ${path}`, status: err.status, ms: elapsedSince(started), result: err.message })
      logger.warn({ rid: requestId, status: err.status }, `${me} → ${peer}: ${err.message}`)
      return { status: err.status, body: err.toJSON() }
    }
  }

  /** One hop: its status and body, as the original answered. */
  const single = (c: Context<ServerEnv>, trace: Trace, answer: HopAnswer) =>
    c.json(withTrace(answer.body, trace), answer.status as ContentfulStatusCode)

  /** Two hops: `{ serviceb, servicec }`, 200 only when both accepted, else the worst status. */
  const both = (c: Context<ServerEnv>, trace: Trace, b: HopAnswer, cc: HopAnswer) =>
    c.json(withTrace({ serviceb: b.body, servicec: cc.body }, trace), Math.max(b.status, cc.status) as ContentfulStatusCode)

  const app = new Hono<ServerEnv>()
  if (me !== 'servicea') {
    const elsewhere = () => {
      throw new NotFoundError(`scenarios run on servicea (curl localhost:3000/scenario1); ${me} answers /scenarioN-server`)
    }
    return app.get('/scenario1', elsewhere).get('/scenario2', elsewhere).get('/scenario3', elsewhere).get('/scenario4', elsewhere)
  }
  return app
    .get('/scenario1', async (c) => {
      const { trace, expired } = options(c)
      const token = await factoryToken(c, trace, 'serviceb', expired)
      return single(c, trace, await call(c, trace, { peer: 'serviceb', path: `/scenario1-server${verifyQuery(c)}`, token }))
    })
    .get('/scenario2', async (c) => {
      const { trace, expired } = options(c)
      // As the original documents: with expired=1 the token for servicec is the expired one.
      const [forB, forC] = await Promise.all([factoryToken(c, trace, 'serviceb', false), factoryToken(c, trace, 'servicec', expired)])
      const [b, cc] = await Promise.all([
        call(c, trace, { peer: 'serviceb', path: `/scenario2-server${verifyQuery(c)}`, token: forB }),
        call(c, trace, { peer: 'servicec', path: `/scenario2-server${verifyQuery(c)}`, token: forC }),
      ])
      return both(c, trace, b, cc)
    })
    .get('/scenario3', async (c) => {
      const { trace, expired } = options(c)
      const token = await localToken(trace, 'serviceb', expired)
      return single(c, trace, await call(c, trace, { peer: 'serviceb', path: '/scenario3-server', token }))
    })
    .get('/scenario4', async (c) => {
      const { trace, expired } = options(c)
      const [forB, forC] = await Promise.all([localToken(trace, 'serviceb', false), localToken(trace, 'servicec', expired)])
      const [b, cc] = await Promise.all([
        call(c, trace, { peer: 'serviceb', path: '/scenario4-server', token: forB }),
        call(c, trace, { peer: 'servicec', path: '/scenario4-server', token: forC }),
      ])
      return both(c, trace, b, cc)
    })
}

function options(c: Context<ServerEnv>) {
  return { trace: new Trace(isFlagSet(c.req.query('trace'))), expired: isFlagSet(c.req.query('expired')) }
}

/** `?verify=jwks` asks the verifying side to check locally with the factory's JWKS. */
const verifyQuery = (c: Context<ServerEnv>) => (c.req.query('verify') === 'jwks' ? '?verify=jwks' : '')

function withTrace(body: unknown, trace: Trace): unknown {
  if (!trace.enabled || body === null || typeof body !== 'object') return body
  return { ...body, trace: trace.entries }
}
