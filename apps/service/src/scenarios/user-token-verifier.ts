import { USER_TOKEN_TYPE, type VerifyResult } from '@jwt-factory/jwt'
import { tracedVerify } from '@jwt-factory/trace'
import type { Context } from 'hono'
import type { ServiceContext } from '../deps.ts'
import type { Trace } from '../trace.ts'

/**
 * How a service checks a user token it was handed (scenarios 5 and 6), locally with the
 * factory's user key set: the user issuer, the audience the token must be for, `typ: at+jwt` (a
 * service token is refused, RFC 8725 §3.12), exp and iat, and for a token passed on by other
 * services (scenario 6) its `act` chain, traced as one verify span. A JWKS fault on the request
 * (`?fault=jwks:…`) makes it fetch the user key set afresh, into the fault.
 */
export function userTokenVerifier({ config, keysFor }: ServiceContext) {
  return function verifyUserToken(
    c: Context,
    token: string,
    { audience, trace, actors }: { audience: string; trace: Trace; actors?: readonly string[] },
  ): Promise<VerifyResult> {
    return tracedVerify(trace, {
      by: config.name,
      token,
      keys: keysFor('user', c),
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
