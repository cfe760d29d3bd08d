import type { VerifyError } from '@jwt-factory/jwt'
import { bearerChallenge } from '../www-authenticate.ts'

/**
 * The body of every refusal: the project's JSON error shape. For an invalid token, `name`,
 * `code` and `message` are the verify error's, as the factory's `/verify` reports them.
 */
export interface AuthErrorBody {
  error: { name: string; code: string; message: string }
}

/** A refusal as the middleware answers it; the protected handler never runs. */
export interface Refusal {
  status: 401 | 403 | 503
  /** `WWW-Authenticate` value; absent on a 503, where the token was never judged. */
  challenge?: string
  body: AuthErrorBody
  /** Why, for the request's log line: a code, never the token. */
  reason: string
}

const body = (name: string, code: string, message: string): AuthErrorBody => ({
  error: { name, code, message },
})

/** No credentials: a challenge without `error` (RFC 6750 §3.1, last paragraph). */
export function missingToken(realm: string): Refusal {
  return {
    status: 401,
    challenge: bearerChallenge({ realm }),
    body: body('UnauthorizedError', 'ERR_UNAUTHORIZED', 'a bearer token is required'),
    reason: 'no token',
  }
}

/** Expired, malformed, bad signature, wrong issuer, audience or `typ` (RFC 6750 §3.1). */
export function invalidToken(
  realm: string,
  error: Pick<VerifyError, 'name' | 'code' | 'message'>,
): Refusal {
  return {
    status: 401,
    challenge: bearerChallenge({ realm, error: 'invalid_token', description: error.message }),
    body: body(error.name, error.code, error.message),
    reason: error.code,
  }
}

/** A valid token without what the route needs (RFC 6750 §3.1 insufficient_scope). */
export function insufficientScope(
  realm: string,
  message: string,
  requiredScopes: readonly string[],
): Refusal {
  const scope = requiredScopes.join(' ')
  return {
    status: 403,
    challenge: bearerChallenge({
      realm,
      error: 'insufficient_scope',
      description: message,
      ...(scope ? { scope } : {}),
    }),
    body: body('ForbiddenError', 'ERR_FORBIDDEN', message),
    reason: 'insufficient_scope',
  }
}

/**
 * The keys could not be had (JWKS timeout, unreachable or garbage): not the caller's fault, so a
 * 503 the caller may retry, never a 401 telling it its token is bad.
 */
export function keysUnavailable(code: string): Refusal {
  return {
    status: 503,
    body: body(
      'ServiceUnavailableError',
      'ERR_UNAVAILABLE',
      'signing keys unavailable: try again later',
    ),
    reason: code,
  }
}
