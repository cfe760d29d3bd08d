import { Hono, type Context } from 'hono'
import { bearerChallenge, readBearerToken } from '@jwt-factory/hono-auth'
import { KEYS_UNAVAILABLE_CODES, tokenKid, verifyToken, type VerifyResult } from '@jwt-factory/jwt'
import { addLogFields, BadGatewayError, type ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from '../deps.ts'
import { FACTORY_HOP } from '../peers/factory-client.ts'
import { elapsedSince, Trace, TRACE_HEADER } from '../trace.ts'

/** Whose tokens the verifying side of every scenario accepts. */
export const SCENARIO_CALLER = 'servicea'

/**
 * How the verifying side checks servicea's factory token (scenarios 1, 2 and 5): the factory's
 * POST /verify/servicea (the keys never leave it), or with `?verify=jwks` locally with the
 * factory's published keys. The same checks either way: issuer, audience (this service),
 * subject servicea, `typ: JWT` (a user token is refused), exp and iat.
 */
export function serviceTokenVerifier({ config, factory, callerKeys }: ServiceContext) {
  const me = config.name
  return async function verifyServiceToken(
    c: Context<ServerEnv>,
    token: string,
    trace: Trace,
  ): Promise<VerifyResult> {
    const started = performance.now()
    if (c.req.query('verify') === 'jwks') {
      const result = await verifyToken(token, callerKeys, {
        issuer: config.factoryIssuer,
        audience: me,
        subject: SCENARIO_CALLER,
        clockToleranceSeconds: config.clockToleranceSeconds,
      })
      if (!result.valid && KEYS_UNAVAILABLE_CODES.has(result.error.code)) {
        throw new BadGatewayError(
          FACTORY_HOP,
          `${FACTORY_HOP} keys are unavailable: ${result.error.message}`,
        )
      }
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
    const result = await factory.verify(
      SCENARIO_CALLER,
      { token, aud: me, sub: SCENARIO_CALLER },
      c.get('requestId'),
    )
    trace.add({
      from: me,
      to: FACTORY_HOP,
      call: `POST /verify/${SCENARIO_CALLER}`,
      status: result.valid ? 200 : 403,
      ms: elapsedSince(started),
      result: outcome(result),
    })
    return result
  }
}

/**
 * The verifying side of scenarios 1-4 (serviceb and servicec). 1 and 2 ask the factory to verify
 * (the lesson of those scenarios: the keys never leave it); 3 and 4 verify locally with
 * servicea's public key.
 */
export function scenarioServerRoutes(ctx: ServiceContext) {
  const { config, scenario3 } = ctx
  const me = config.name
  const verifyServiceToken = serviceTokenVerifier(ctx)

  const viaFactory = async (c: Context<ServerEnv>) => {
    const token = readBearerToken(c)
    if (token === undefined) return missingToken(c, me)
    const trace = new Trace(c.req.header(TRACE_HEADER) === '1')
    const result = await verifyServiceToken(c, token, trace)
    return answer(c, ctx, token, result, trace)
  }

  const locally = async (c: Context<ServerEnv>) => {
    const token = readBearerToken(c)
    if (token === undefined) return missingToken(c, me)
    const trace = new Trace(c.req.header(TRACE_HEADER) === '1')
    const result = await verifyToken(token, scenario3.keySource, {
      issuer: config.scenario3.issuer,
      audience: me,
      subject: SCENARIO_CALLER,
      clockToleranceSeconds: config.clockToleranceSeconds,
    })
    return answer(c, ctx, token, result, trace)
  }

  return new Hono<ServerEnv>()
    .get('/scenario1-server', viaFactory)
    .get('/scenario2-server', viaFactory)
    .get('/scenario3-server', locally)
    .get('/scenario4-server', locally)
}

/** A verification as the trace shows it. */
export const outcome = (result: VerifyResult) =>
  result.valid ? 'valid' : `${result.error.name}: ${result.error.message}`

function answer(
  c: Context<ServerEnv>,
  { config, logger }: ServiceContext,
  token: string,
  result: VerifyResult,
  trace: Trace,
) {
  const me = config.name
  const rid = c.get('requestId')
  if (result.valid) {
    const kid = tokenKid(token)
    logger.info(
      { rid, kid },
      `${me}: token from ${String(result.claims.sub)} valid (kid ${kid ?? 'none'})`,
    )
    addLogFields(c, { sub: String(result.claims.sub), valid: true })
    return c.json(trace.enabled ? { ...result, trace: trace.entries } : result, 200)
  }
  logger.info({ rid, code: result.error.code }, `${me}: rejected: ${result.error.message}`)
  addLogFields(c, { valid: false, error: result.error.message })
  c.header(
    'WWW-Authenticate',
    bearerChallenge({ realm: me, error: 'invalid_token', description: result.error.message }),
  )
  const body = { message: 'invalid token', ...result }
  return c.json(trace.enabled ? { ...body, trace: trace.entries } : body, 403)
}

function missingToken(c: Context<ServerEnv>, me: string) {
  c.header('WWW-Authenticate', bearerChallenge({ realm: me }))
  c.get('logger').info({ rid: c.get('requestId') }, `${me}: rejected: no token`)
  return c.json(
    {
      message: 'no token',
      valid: false,
      error: {
        name: 'JsonWebTokenError',
        message: 'jwt must be provided',
        code: 'ERR_JWS_INVALID',
      },
      claims: {},
    },
    401,
  )
}
