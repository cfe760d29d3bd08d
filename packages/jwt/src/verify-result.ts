import type { JWTPayload } from 'jose'

/**
 * Error names and messages follow jsonwebtoken, which the original demo used, so its documented
 * outputs still read the same. `code` is one of jose's stable codes, narrowed to the cases a
 * verifier can tell apart.
 */
export type VerifyErrorName = 'TokenExpiredError' | 'NotBeforeError' | 'JsonWebTokenError'

/** Why a token was refused; callers switch on it (see hono-auth's refusal for the statuses). */
export type VerifyErrorCode =
  /** No token, or one far longer than any token this product issues. */
  | 'ERR_JWS_INVALID'
  /** Not a readable compact JWS with JSON objects for header and payload. */
  | 'ERR_JWT_INVALID'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  /** The token's `alg` is not the one the key is pinned to. */
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  /** The key set consulted holds no key for the token's `kid`. */
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWT_EXPIRED'
  /** iss, aud, sub, typ, nbf or iat failed, or a required claim is missing. */
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  /** The keys could not be had (unreachable, not a key set): the token was never judged. */
  | 'ERR_JWKS_UNAVAILABLE'
  /** The keys did not arrive in time: the token was never judged. */
  | 'ERR_JWKS_TIMEOUT'
  /** Verified, but its issuer revoked it (RFC 7009): only the issuer itself can tell. */
  | 'ERR_TOKEN_REVOKED'
  /** Verified, but its user is locked or removed since: only the issuer itself can tell. */
  | 'ERR_USER_INACTIVE'

export interface VerifyError {
  name: VerifyErrorName
  code: VerifyErrorCode
  message: string
  /** The header's `kid` and `typ` (public values), when the refusal concerns the key. */
  kid?: string
  typ?: string
  /** The key set that was consulted, by name. */
  keys?: string
  /** Keys unavailable: the process that should have served them. */
  hop?: string
  /** TokenExpiredError: when the token expired (ISO 8601). */
  expiredAt?: string
  /** NotBeforeError: when the token becomes valid (ISO 8601). */
  date?: string
  /** Time failures: the verifier's clock and the leeway it allowed. */
  now?: string
  clockToleranceSeconds?: number
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

/** The codes that mean "the keys could not be had", not "the token is bad". */
export const isKeysUnavailable = (code: string): boolean =>
  code === 'ERR_JWKS_UNAVAILABLE' || code === 'ERR_JWKS_TIMEOUT'

export function verifyFailure(
  name: VerifyErrorName,
  code: VerifyErrorCode,
  message: string,
  details: Omit<VerifyError, 'name' | 'code' | 'message'> = {},
): VerifyFailure {
  return { valid: false, error: { name, code, message, ...details }, claims: {} }
}

/** Date covers ±8.64e15 ms; a signed claim beyond that has no ISO form and must not throw. */
const MAX_DATE_SECONDS = 8.64e12
export const isoTime = (seconds: unknown): string | undefined =>
  typeof seconds === 'number' && Math.abs(seconds) <= MAX_DATE_SECONDS
    ? new Date(seconds * 1000).toISOString()
    : undefined
