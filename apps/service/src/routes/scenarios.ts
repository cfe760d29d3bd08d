import { Hono, type Context } from 'hono'
import { signToken } from '@jwt-factory/jwt'
import { NotFoundError, ServiceUnavailableError, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ServiceContext } from '../deps.ts'
import type { PeerName } from '../peers/peer-client.ts'
import { elapsedSince, type Trace } from '../trace.ts'
import {
  answerOf,
  scenarioHops,
  scenarioOptions,
  verifyQuery,
  withTrace,
  type HopAnswer,
} from './scenario-hops.ts'

/**
 * The calling side of scenarios 1-4, on servicea. 1 and 2 get tokens from the factory (the keys
 * stay there); 3 and 4 sign with servicea's own key. `?expired=1` makes the (second) token an
 * expired one; `?trace=1` adds the hops to the answer.
 */
export function scenarioRoutes(ctx: ServiceContext) {
  const { config, scenario3 } = ctx
  const me = config.name
  const { factoryToken, call } = scenarioHops(ctx)

  async function localToken(trace: Trace, aud: PeerName, expired: boolean) {
    const key = scenario3.signingKey
    if (!key)
      throw new ServiceUnavailableError(
        `${me} has no scenario-3 key: run npm run keys, or POST /gen-keys`,
      )
    const started = performance.now()
    const { token } = await signToken(
      key,
      { iss: config.scenario3.issuer, sub: me, aud },
      { ttlSeconds: config.scenario3.ttlSeconds, expired },
    )
    trace.add({
      from: me,
      to: me,
      call: 'sign locally',
      status: 200,
      ms: elapsedSince(started),
      token: { iss: config.scenario3.issuer, sub: me, aud, expired, kid: key.kid },
    })
    return token
  }

  /** Two hops: `{ serviceb, servicec }`, 200 only when both accepted, else the worst status. */
  const both = (c: Context<ServerEnv>, trace: Trace, b: HopAnswer, cc: HopAnswer) =>
    c.json(
      withTrace({ serviceb: b.body, servicec: cc.body }, trace),
      Math.max(b.status, cc.status) as ContentfulStatusCode,
    )

  const app = new Hono<ServerEnv>()
  if (me !== 'servicea') {
    const elsewhere = () => {
      throw new NotFoundError(
        `scenarios run on servicea (curl localhost:3000/scenario1); ${me} answers /scenarioN-server`,
      )
    }
    return app
      .get('/scenario1', elsewhere)
      .get('/scenario2', elsewhere)
      .get('/scenario3', elsewhere)
      .get('/scenario4', elsewhere)
  }
  return app
    .get('/scenario1', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      const token = await factoryToken(c, trace, 'serviceb', expired)
      return answerOf(
        c,
        trace,
        await call(c, trace, {
          peer: 'serviceb',
          path: `/scenario1-server${verifyQuery(c)}`,
          token,
        }),
      )
    })
    .get('/scenario2', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      // As the original documents: with expired=1 the token for servicec is the expired one.
      const [forB, forC] = await Promise.all([
        factoryToken(c, trace, 'serviceb', false),
        factoryToken(c, trace, 'servicec', expired),
      ])
      const [b, cc] = await Promise.all([
        call(c, trace, {
          peer: 'serviceb',
          path: `/scenario2-server${verifyQuery(c)}`,
          token: forB,
        }),
        call(c, trace, {
          peer: 'servicec',
          path: `/scenario2-server${verifyQuery(c)}`,
          token: forC,
        }),
      ])
      return both(c, trace, b, cc)
    })
    .get('/scenario3', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      const token = await localToken(trace, 'serviceb', expired)
      return answerOf(
        c,
        trace,
        await call(c, trace, { peer: 'serviceb', path: '/scenario3-server', token }),
      )
    })
    .get('/scenario4', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      const [forB, forC] = await Promise.all([
        localToken(trace, 'serviceb', false),
        localToken(trace, 'servicec', expired),
      ])
      const [b, cc] = await Promise.all([
        call(c, trace, { peer: 'serviceb', path: '/scenario4-server', token: forB }),
        call(c, trace, { peer: 'servicec', path: '/scenario4-server', token: forC }),
      ])
      return both(c, trace, b, cc)
    })
}
