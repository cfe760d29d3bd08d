import type { Context } from 'hono'
import { readBearerToken } from '@jwt-factory/hono-auth'
import { tracedVerify } from '@jwt-factory/trace'
import type { ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import { incomingTrace } from '../trace.ts'
import { missingToken, verdict } from './verdict.ts'

/**
 * The verifying side of scenarios 3 and 4: servicea's own token, checked here with servicea's
 * public key (`scenario-3-keys/jwt-public.pem`) without calling anyone: issuer service-issuer,
 * audience this service, subject servicea.
 */
export function localTokenEndpoint({ config, scenario3 }: ServiceContext) {
  const me = config.name
  return async function verifyLocalTokenRequest(c: Context<ServerEnv>) {
    const token = readBearerToken(c)
    const trace = incomingTrace(c)
    if (token === undefined) return missingToken(c, me)
    const result = await tracedVerify(trace, {
      by: me,
      token,
      keys: scenario3.keySource,
      options: {
        issuer: config.scenario3.issuer,
        audience: me,
        subject: SCENARIO_CALLER,
        clockToleranceSeconds: config.clockToleranceSeconds,
      },
    })
    return verdict(c, me, token, result)
  }
}
