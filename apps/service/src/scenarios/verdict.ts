import type { Context } from 'hono'
import { bearerChallenge } from '@jwt-factory/hono-auth'
import { tokenKid, type VerifyFailure, type VerifyResult } from '@jwt-factory/jwt'
import { addLogFields, type ServerEnv } from '@jwt-factory/server'
import { withTrace, type Trace } from '../trace.ts'

/** The original demo's failure for a request without a token. */
export const NO_TOKEN: VerifyFailure = {
  valid: false,
  error: { name: 'JsonWebTokenError', message: 'jwt must be provided', code: 'ERR_JWS_INVALID' },
  claims: {},
}

/**
 * The verifying side's answer to a token it checked (scenarios 1-4): 200 with the result, or 403
 * with `message: invalid token` and an RFC 6750 `invalid_token` challenge.
 */
export function verdict(
  c: Context<ServerEnv>,
  me: string,
  token: string,
  result: VerifyResult,
  trace: Trace,
) {
  const logger = c.get('logger')
  const rid = c.get('requestId')
  if (result.valid) {
    const kid = tokenKid(token)
    logger.info(
      { rid, kid },
      `${me}: token from ${String(result.claims.sub)} valid (kid ${kid ?? 'none'})`,
    )
    addLogFields(c, { sub: String(result.claims.sub), valid: true })
    return c.json(withTrace(result, trace), 200)
  }
  logger.info({ rid, code: result.error.code }, `${me}: rejected: ${result.error.message}`)
  addLogFields(c, { valid: false, error: result.error.message })
  c.header(
    'WWW-Authenticate',
    bearerChallenge({ realm: me, error: 'invalid_token', description: result.error.message }),
  )
  return c.json(withTrace({ message: 'invalid token', ...result }, trace), 403)
}

/** No bearer token at all: 401 with a challenge that names no error (RFC 6750 §3.1). */
export function missingToken(c: Context<ServerEnv>, me: string) {
  c.header('WWW-Authenticate', bearerChallenge({ realm: me }))
  c.get('logger').info({ rid: c.get('requestId') }, `${me}: rejected: no token`)
  return c.json({ message: 'no token', ...NO_TOKEN }, 401)
}
