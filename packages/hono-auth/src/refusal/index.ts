import type { Context } from 'hono'
import {
  isKeysUnavailable,
  type VerifyError,
  type VerifyErrorCode,
  type VerifyFailure,
} from '@jwt-factory/jwt'
import { addLogFields, BadGatewayError, GatewayTimeoutError } from '@jwt-factory/server'
import { bearerChallenge } from '../www-authenticate.ts'

/** What a token was refused for: the one input of answerRefusal. */
export type Refusal =
  /** No bearer token at all (`message` says where one was expected). */
  | { kind: 'no-token'; message?: string }
  /** A token that did not verify, or a check beyond verification that failed (user locked). */
  | { kind: 'invalid-token'; error: TokenError }
  /** A valid token without what the route needs. */
  | { kind: 'insufficient-scope'; message: string; scopes: readonly string[] }

/** A verify error, or one in its shape for checks beyond verification. */
export type TokenError = Omit<VerifyError, 'name' | 'code'> & {
  name: string
  code: VerifyErrorCode | 'ERR_UNAUTHORIZED'
}

/**
 * How a place answers: `bearer`, a resource under RFC 6750 (401 for a bad token, the project's
 * `{ error }` body); `verify-result`, the original demo's verifying side (403 for a bad token,
 * the verification result `{ valid: false, error, claims }` as the body, with `message` naming
 * what failed unless `labelled` is false).
 */
export interface RefusalOptions {
  realm: string
  style: 'bearer' | 'verify-result'
  /** verify-result: the body's `message` ("invalid token", "no token"); default true. */
  labelled?: boolean
  /** False where the token did not come in an Authorization header (POST /verify's body). */
  challenge?: boolean
}

export interface RefusalAnswer {
  status: 401 | 403 | 502 | 504
  headers: Record<string, string>
  body: Record<string, unknown>
  /** Why, for the request's log line: a code, never the token. */
  reason: string
}

/** The original demo's verification result for a request without a token. */
export const NO_TOKEN_RESULT = {
  valid: false,
  error: { name: 'JsonWebTokenError', code: 'ERR_JWS_INVALID', message: 'jwt must be provided' },
  claims: {},
} as const satisfies VerifyFailure

/**
 * The one place where a refused token becomes an HTTP answer: its status, its RFC 6750
 * `WWW-Authenticate` challenge and its JSON body, for every place that checks a token (the
 * factory's /verify and /auth and admin check, the scenario servers, requireAuth).
 * - no token: 401 with a challenge that has no `error` (RFC 6750 §3.1, last paragraph);
 * - invalid: 401 `invalid_token` (bearer) or 403 (verify-result, as the original demo answered);
 * - insufficient scope: 403 `insufficient_scope` with the scopes needed;
 * - keys unavailable: the token was never judged, so no challenge and no verdict: a 502 naming
 *   the hop that should have served them (504 when it did not answer in time), as for any hop.
 */
export function answerRefusal(refusal: Refusal, options: RefusalOptions): RefusalAnswer {
  const { realm, style } = options
  const headers = (challenge: Parameters<typeof bearerChallenge>[0]): Record<string, string> =>
    options.challenge === false ? {} : { 'WWW-Authenticate': bearerChallenge(challenge) }
  const labelled = style === 'verify-result' && options.labelled !== false
  /** The body: the project's `{ error }`, or the original demo's verification result. */
  const verdict = (message: string, error: { name: string; code: string; message: string }) =>
    style === 'bearer'
      ? { error }
      : { ...(labelled ? { message } : {}), valid: false, error, claims: {} }

  if (refusal.kind === 'no-token') {
    const error =
      style === 'bearer'
        ? {
            name: 'UnauthorizedError',
            code: 'ERR_UNAUTHORIZED' as const,
            message: refusal.message ?? 'a bearer token is required',
          }
        : NO_TOKEN_RESULT.error
    return {
      status: 401,
      headers: headers({ realm }),
      body: verdict(refusal.message ?? 'no token', error),
      reason: 'no token',
    }
  }
  if (refusal.kind === 'insufficient-scope') {
    const { message, scopes } = refusal
    const scope = scopes.join(' ')
    const error = { name: 'ForbiddenError', code: 'ERR_FORBIDDEN', message }
    return {
      status: 403,
      headers: headers({
        realm,
        error: 'insufficient_scope',
        description: message,
        ...(scope ? { scope } : {}),
      }),
      body: verdict(message, error),
      reason: 'insufficient_scope',
    }
  }
  const { error } = refusal
  if (isKeysUnavailable(error.code)) {
    const hop = error.hop ?? realm
    const HopError = error.code === 'ERR_JWKS_TIMEOUT' ? GatewayTimeoutError : BadGatewayError
    const answer = new HopError(hop, `${realm} cannot check the token: ${error.message}`)
    const status = answer.status as 502 | 504
    return { status, headers: {}, body: { ...answer.toJSON() }, reason: error.code }
  }
  return {
    status: style === 'bearer' ? 401 : 403,
    headers: headers({ realm, error: 'invalid_token', description: error.message }),
    body: verdict('invalid token', error),
    reason: error.code,
  }
}

/** answerRefusal as the request's response, with its reason on the request's log line. */
export function refuse(
  c: Context,
  refusal: Refusal,
  options: RefusalOptions,
  /** Members added to the body, e.g. a traced caller's `trace`. */
  extra: Record<string, unknown> = {},
): Response {
  const answer = answerRefusal(refusal, options)
  addLogFields(c, { auth: answer.reason })
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value)
  return c.json({ ...answer.body, ...extra }, answer.status)
}
