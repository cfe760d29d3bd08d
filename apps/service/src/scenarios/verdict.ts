import type { Context } from 'hono'
import { answerRefusal, type RefusalAnswer } from '@jwt-factory/hono-auth'
import { tokenKid, type VerifyResult } from '@jwt-factory/jwt'
import { addLogFields, type ServerEnv } from '@jwt-factory/server'

/**
 * The verifying side's answer to a token it checked (scenarios 1-4): 200 with the result, or the
 * refusal as hono-auth's answerRefusal writes it in the original demo's style: 403 with
 * `message: invalid token` and an RFC 6750 `invalid_token` challenge, or 502/504 naming the
 * factory when its keys could not be had.
 */
export function verdict(c: Context<ServerEnv>, me: string, token: string, result: VerifyResult) {
  if (result.valid) {
    const kid = tokenKid(token)
    c.get('logger').info(
      { rid: c.get('requestId'), kid },
      `${me}: token from ${String(result.claims.sub)} valid (kid ${kid ?? 'none'})`,
    )
    addLogFields(c, { sub: String(result.claims.sub), valid: true })
    return c.json(result, 200)
  }
  const refusal = { kind: 'invalid-token', error: result.error } as const
  const answer = answerRefusal(refusal, { realm: me, style: 'verify-result' })
  return answerWith(c, { me, answer, body: answer.body, why: result.error.message })
}

/** No bearer token at all: 401 with a challenge that names no error (RFC 6750 §3.1). */
export function missingToken(c: Context<ServerEnv>, me: string) {
  const answer = answerRefusal({ kind: 'no-token' }, { realm: me, style: 'verify-result' })
  return answerWith(c, { me, answer, body: answer.body, why: 'no token' })
}

export interface RefusalResponse {
  me: string
  /** answerRefusal's status, challenge and body. */
  answer: RefusalAnswer
  /** The body to send: the answer's own, or one scenario 5 composes around it. */
  body: Record<string, unknown>
  /** For the log line. */
  why: string
}

/** Sends a refusal's status, challenge and body, and logs why (never the token). */
export function answerWith(c: Context<ServerEnv>, { me, answer, body, why }: RefusalResponse) {
  c.get('logger').info({ rid: c.get('requestId'), code: answer.reason }, `${me}: rejected: ${why}`)
  addLogFields(c, { valid: false, error: why })
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value)
  return c.json(body, answer.status)
}
