import { Hono } from 'hono'
import type { ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from '../deps.ts'
import { answerOf, scenarioOptions, verifyChoice } from './caller-answers.ts'
import { serviceTokenEndpoint } from './service-token-verifier.ts'

/**
 * Scenario 1: the factory signs and verifies. servicea asks the factory for a token for serviceb
 * (reused from its cache while valid) and calls serviceb with it; serviceb asks the factory to
 * verify it (`?verify=jwks`: checks it locally with the factory's published keys). servicea has
 * no key of its own here. `?expired=1` makes the token an expired one; `?trace=1` adds the hops.
 * In a cluster, `?verify=mesh` calls serviceb's plain HTTP port inside the mesh: its sidecar
 * verifies the token and serviceb trusts it (mesh-verified-token.ts, docs/20).
 */
export function scenario1(ctx: ServiceContext) {
  const { hops, config } = ctx
  return {
    caller: new Hono<ServerEnv>().get('/scenario1', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      const { query, mesh } = verifyChoice(c, config, ['serviceb'])
      const token = await hops.serviceToken(c, trace, 'serviceb', expired)
      const path = `/scenario1-server${query}`
      return answerOf(c, await hops.callPeer(c, trace, { peer: 'serviceb', path, token, mesh }))
    }),
    server: new Hono<ServerEnv>().get('/scenario1-server', serviceTokenEndpoint(ctx)),
  }
}
