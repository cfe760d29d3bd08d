import type { Context } from 'hono'
import { readBearerToken } from '@jwt-factory/hono-auth'
import type { VerifyResult } from '@jwt-factory/jwt'
import { tracedVerify } from '@jwt-factory/trace'
import type { ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import { incomingTrace, type Trace } from '../trace.ts'
import { meshVerifiedTokenEndpoint } from './mesh-verified-token.ts'
import { missingToken, verdict } from './verdict.ts'

/**
 * How the verifying side checks servicea's factory token (scenarios 1, 2 and 5): the factory's
 * POST /verify/servicea (the keys never leave it), or with `?verify=jwks` locally with the
 * factory's published keys. The same checks either way: issuer, audience (this service),
 * subject servicea, `typ: JWT` (a user token is refused), exp and iat.
 */
export function serviceTokenVerifier({ config, hops, keysFor }: ServiceContext) {
  const me = config.name
  return async function verifyServiceToken(
    c: Context<ServerEnv>,
    token: string,
    trace: Trace,
  ): Promise<VerifyResult> {
    if (c.req.query('verify') !== 'jwks') return hops.verifyAtFactory(c, trace, token)
    return tracedVerify(trace, {
      by: me,
      token,
      keys: keysFor('caller', c),
      options: {
        issuer: config.factoryIssuer,
        audience: me,
        subject: SCENARIO_CALLER,
        clockToleranceSeconds: config.clockToleranceSeconds,
      },
    })
  }
}

/**
 * The verifying side of scenarios 1 and 2: servicea's factory token in `Authorization`; with
 * `?verify=mesh`, the claims its sidecar verified (mesh-verified-token.ts).
 */
export function serviceTokenEndpoint(ctx: ServiceContext) {
  const me = ctx.config.name
  const verifyServiceToken = serviceTokenVerifier(ctx)
  const trustMesh = meshVerifiedTokenEndpoint(ctx)
  return async function verifyServiceTokenRequest(c: Context<ServerEnv>) {
    if (c.req.query('verify') === 'mesh') return trustMesh(c)
    const token = readBearerToken(c)
    const trace = incomingTrace(c)
    if (token === undefined) return missingToken(c, me)
    return verdict(c, me, token, await verifyServiceToken(c, token, trace))
  }
}
