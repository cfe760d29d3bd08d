import { Hono } from 'hono'
import type { ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from '../deps.ts'
import { callBoth, scenarioOptions } from './caller-answers.ts'
import { localTokenEndpoint } from './local-verifier.ts'
import { localSigner } from './scenario3.ts'

/**
 * Scenario 4: scenario 3 with two audiences. servicea signs one token for serviceb and one for
 * servicec with its own key, calls both at once and answers `{ serviceb, servicec }`; each
 * verifies as in scenario 3. With `?expired=1` the token for servicec is the expired one.
 */
export function scenario4(ctx: ServiceContext) {
  const { hops } = ctx
  const signLocally = localSigner(ctx)
  return {
    caller: new Hono<ServerEnv>().get('/scenario4', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      const path = '/scenario4-server'
      const tokens = await Promise.all([
        signLocally(trace, 'serviceb', false),
        signLocally(trace, 'servicec', expired),
      ])
      return callBoth(c, trace, hops, path, tokens)
    }),
    server: new Hono<ServerEnv>().get('/scenario4-server', localTokenEndpoint(ctx)),
  }
}
