import { errors, type JWTPayload } from 'jose'

/**
 * Error names and messages follow jsonwebtoken, which the original demo used, so its documented
 * outputs still read the same. `code` carries jose's stable error code.
 */
export type VerifyErrorName = 'TokenExpiredError' | 'NotBeforeError' | 'JsonWebTokenError'

export interface VerifyError {
  name: VerifyErrorName
  message: string
  code: string
  /** TokenExpiredError: when the token expired (ISO 8601). */
  expiredAt?: string
  /** NotBeforeError: when the token becomes valid (ISO 8601). */
  date?: string
}

export interface VerifySuccess {
  valid: true
  claims: JWTPayload
}

export interface VerifyFailure {
  valid: false
  error: VerifyError
  claims: Record<string, never>
}

/** The one result shape of verification, used by every verifier and every endpoint. */
export type VerifyResult = VerifySuccess | VerifyFailure

export interface ExpectedClaims {
  issuer?: string | undefined
  audience?: string | undefined
  subject?: string | undefined
  typ?: string | undefined
}

export function verifyFailure(
  name: VerifyErrorName,
  message: string,
  code: string,
  extra: Pick<VerifyError, 'expiredAt' | 'date'> = {},
): VerifyFailure {
  return { valid: false, error: { name, message, code, ...extra }, claims: {} }
}

/** Date covers ±8.64e15 ms; a signed claim beyond that has no ISO form and must not throw. */
const MAX_DATE_SECONDS = 8.64e12
const isoTime = (seconds: unknown): string | undefined =>
  typeof seconds === 'number' && Math.abs(seconds) <= MAX_DATE_SECONDS
    ? new Date(seconds * 1000).toISOString()
    : undefined

/**
 * Translates whatever jose threw into the product's result: the one place that knows jose's
 * error classes. Anything unexpected is reported as a malformed token, never rethrown, so no
 * token can crash a caller.
 */
export function failureFromJoseError(err: unknown, expected: ExpectedClaims): VerifyFailure {
  if (err instanceof errors.JWTExpired) {
    const expiredAt = isoTime(err.payload.exp)
    return verifyFailure(
      'TokenExpiredError',
      'jwt expired',
      err.code,
      expiredAt ? { expiredAt } : {},
    )
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason, code } = err
    if (claim === 'nbf' && reason === 'check_failed') {
      const date = isoTime(err.payload.nbf)
      return verifyFailure('NotBeforeError', 'jwt not active', code, date ? { date } : {})
    }
    if (reason === 'missing')
      return verifyFailure('JsonWebTokenError', `jwt ${claim} required`, code)
    const label = { aud: 'audience', iss: 'issuer', sub: 'subject', typ: 'type' }[claim]
    const value = {
      aud: expected.audience,
      iss: expected.issuer,
      sub: expected.subject,
      typ: expected.typ,
    }[claim]
    if (label && reason === 'check_failed') {
      return verifyFailure('JsonWebTokenError', `jwt ${label} invalid. expected: ${value}`, code)
    }
    return verifyFailure('JsonWebTokenError', `jwt ${claim} invalid`, code)
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return verifyFailure('JsonWebTokenError', 'invalid signature', err.code)
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return verifyFailure('JsonWebTokenError', 'invalid algorithm', err.code)
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return verifyFailure('JsonWebTokenError', 'no key matches the token', err.code)
  }
  if (err instanceof errors.JOSEError && KEYS_UNAVAILABLE_CODES.has(err.code)) {
    // Not the token's fault: the caller turns this into a 503, not a 401 or 403.
    return verifyFailure('JsonWebTokenError', 'signing keys unavailable', err.code)
  }
  if (err instanceof errors.JOSEError) {
    return verifyFailure('JsonWebTokenError', 'jwt malformed', err.code)
  }
  return verifyFailure('JsonWebTokenError', 'jwt malformed', 'ERR_JWT_INVALID')
}

/** Codes that mean "the keys could not be had", not "the token is bad". */
export const KEYS_UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'ERR_JWKS_TIMEOUT',
  'ERR_JWKS_INVALID',
  // remoteKeys: unreachable, TLS refused, a non-200 or non-JSON answer.
  'ERR_JWKS_UNAVAILABLE',
])
