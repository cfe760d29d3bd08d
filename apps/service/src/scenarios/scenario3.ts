import { Hono } from 'hono'
import { expiredVariantTime, signToken } from '@jwt-factory/jwt'
import { ServiceUnavailableError, type ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from '../deps.ts'
import type { PeerName } from '../peers/hop-client.ts'
import { viewToken } from '@jwt-factory/trace'
import type { Trace } from '../trace.ts'
import { answerOf, scenarioOptions } from './caller-answers.ts'
import { localTokenEndpoint } from './local-verifier.ts'

/**
 * Scenario 3: servicea signs with its own key. servicea signs a token for serviceb with its
 * scenario-3 private key (issuer service-issuer, a short lifetime) and calls serviceb, which
 * verifies it with servicea's public key without calling anyone. `?expired=1` signs an expired
 * one; `?trace=1` adds the hops.
 */
export function scenario3(ctx: ServiceContext) {
  const { hops } = ctx
  const signLocally = localSigner(ctx)
  return {
    caller: new Hono<ServerEnv>().get('/scenario3', async (c) => {
      const { trace, expired } = scenarioOptions(c)
      const token = await signLocally(trace, 'serviceb', expired)
      const path = '/scenario3-server'
      return answerOf(c, await hops.callPeer(c, trace, { peer: 'serviceb', path, token }))
    }),
    server: new Hono<ServerEnv>().get('/scenario3-server', localTokenEndpoint(ctx)),
  }
}

/** servicea's token for `aud`, signed here with its scenario-3 key (keys read at start, not per call). */
export function localSigner({ config, scenario3 }: ServiceContext) {
  const me = config.name
  return async function signLocally(trace: Trace, aud: PeerName, expired: boolean) {
    const key = scenario3.signingKey
    if (!key)
      throw new ServiceUnavailableError(
        `${me} has no scenario-3 key: run npm run keys, or POST /gen-keys`,
      )
    const span = trace.start({ kind: 'sign', from: me, to: me, call: 'sign locally' })
    const { ttlSeconds } = config.scenario3
    const { token } = await signToken(
      key,
      { iss: config.scenario3.issuer, sub: me, aud },
      { ttlSeconds, now: expired ? expiredVariantTime(ttlSeconds) : new Date() },
    )
    if (trace.enabled) {
      span.end({ status: 200, token: viewToken(token, { source: 'signed locally', expired }) })
    }
    return token
  }
}
