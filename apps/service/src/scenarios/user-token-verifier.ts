import { USER_TOKEN_TYPE, type VerifyResult } from '@jwt-factory/jwt'
import { tracedVerify } from '@jwt-factory/trace'
import type { ServiceContext } from '../deps.ts'
import type { Trace } from '../trace.ts'

/**
 * How a service checks a user token it was handed (scenarios 5 and 6), locally with the
 * factory's user key set: the user issuer, the audience the token must be for, `typ: at+jwt` (a
 * service token is refused, RFC 8725 §3.12), exp and iat, and for a token passed on by other
 * services (scenario 6) its `act` chain, traced as one verify span.
 */
export function userTokenVerifier({ config, userKeys }: ServiceContext) {
  return function verifyUserToken(
    token: string,
    audience: string,
    trace: Trace,
    actors?: readonly string[],
  ): Promise<VerifyResult> {
    return tracedVerify(trace, {
      by: config.name,
      token,
      keys: userKeys,
      source: 'user',
      options: {
        issuer: config.factoryUserIssuer,
        audience,
        typ: USER_TOKEN_TYPE,
        clockToleranceSeconds: config.clockToleranceSeconds,
        ...(actors ? { actors } : {}),
      },
    })
  }
}
