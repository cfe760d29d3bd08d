import type { Context } from 'hono'
import { readBearerToken } from '@jwt-factory/hono-auth'
import { isKeysUnavailable, verifyToken, type VerifyResult } from '@jwt-factory/jwt'
import { BadGatewayError, type ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import { FACTORY_HOP } from '../peers/hop-client.ts'
import { elapsedSince, incomingTrace, outcome, type Trace } from '../trace.ts'
import { missingToken, verdict } from './verdict.ts'

/**
 * How the verifying side checks servicea's factory token (scenarios 1, 2 and 5): the factory's
 * POST /verify/servicea (the keys never leave it), or with `?verify=jwks` locally with the
 * factory's published keys. The same checks either way: issuer, audience (this service),
 * subject servicea, `typ: JWT` (a user token is refused), exp and iat.
 */
export function serviceTokenVerifier({ config, hops, callerKeys }: ServiceContext) {
  const me = config.name
  return async function verifyServiceToken(
    c: Context<ServerEnv>,
    token: string,
    trace: Trace,
  ): Promise<VerifyResult> {
    if (c.req.query('verify') !== 'jwks') return hops.verifyAtFactory(c, trace, token)
    const started = performance.now()
    const result = await verifyToken(token, callerKeys, {
      issuer: config.factoryIssuer,
      audience: me,
      subject: SCENARIO_CALLER,
      clockToleranceSeconds: config.clockToleranceSeconds,
    })
    throwIfKeysUnavailable(result)
    trace.add({
      from: me,
      to: me,
      call: 'verify with the JWKS of jwt-factory',
      status: result.valid ? 200 : 403,
      ms: elapsedSince(started),
      result: outcome(result),
    })
    return result
  }
}

/** The verifying side of scenarios 1 and 2: servicea's factory token in `Authorization`. */
export function serviceTokenEndpoint(ctx: ServiceContext) {
  const me = ctx.config.name
  const verifyServiceToken = serviceTokenVerifier(ctx)
  return async function verifyServiceTokenRequest(c: Context<ServerEnv>) {
    const token = readBearerToken(c)
    if (token === undefined) return missingToken(c, me)
    const trace = incomingTrace(c)
    return verdict(c, me, token, await verifyServiceToken(c, token, trace), trace)
  }
}

/** The factory's published keys could not be had: a 502 naming it, not a verdict on the token. */
export function throwIfKeysUnavailable(result: VerifyResult): void {
  if (!result.valid && isKeysUnavailable(result.error.code)) {
    throw new BadGatewayError(
      FACTORY_HOP,
      `${FACTORY_HOP} keys are unavailable: ${result.error.message}`,
    )
  }
}
