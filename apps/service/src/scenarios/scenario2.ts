import { Hono } from 'hono'
import type { ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from '../deps.ts'
import { callBoth, scenarioOptions, verifyChoice } from './caller-answers.ts'
import { serviceTokenEndpoint } from './service-token-verifier.ts'

/**
 * Scenario 2: scenario 1 with two audiences. servicea gets one factory token for serviceb and one
 * for servicec, calls both at once and answers `{ serviceb, servicec }`; each verifies as in
 * scenario 1. As the original documents, with `?expired=1` the token for servicec is the expired
 * one. `?verify=mesh` as in scenario 1, through both peers' sidecars.
 */
export function scenario2(ctx: ServiceContext) {
  const { hops, config } = ctx
  return {
    caller: new Hono<ServerEnv>().get('/scenario2', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      const { query, mesh } = verifyChoice(c, config, ['serviceb', 'servicec'])
      const path = `/scenario2-server${query}`
      const tokens = await Promise.all([
        hops.serviceToken(c, trace, 'serviceb', false),
        hops.serviceToken(c, trace, 'servicec', expired),
      ])
      return callBoth(c, trace, hops, path, tokens, mesh)
    }),
    server: new Hono<ServerEnv>().get('/scenario2-server', serviceTokenEndpoint(ctx)),
  }
}
