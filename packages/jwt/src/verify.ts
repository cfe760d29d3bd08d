import { jwtVerify } from 'jose'
import type { SigningAlgorithm } from './algorithms.ts'
import { readCompactToken } from './compact-token.ts'
import { isCanonicalEs256Signature } from './ecdsa-signature.ts'
import { SERVICE_TOKEN_TYPE } from './token-type.ts'
import type { KeySource } from './key-source.ts'
import {
  failureFromJoseError,
  verifyFailure,
  type ExpectedClaims,
  type VerifyResult,
} from './verify-result.ts'

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30

/** Far above any token this product issues; refuses oversized input before any parsing. */
export const MAX_TOKEN_LENGTH = 8192
const REQUIRED_CLAIMS = ['exp', 'iat', 'iss', 'sub', 'aud']

export interface VerifyTokenOptions extends ExpectedClaims {
  /** Leeway for exp, nbf and iat, in seconds (default 30). */
  clockToleranceSeconds?: number
  /** Required `typ` header (default "JWT"; user tokens use "at+jwt", RFC 9068). */
  typ?: string
  /** For tests and for issuing expired examples: the time to verify at. */
  currentDate?: Date
}

/**
 * Verifies a compact JWT. Never throws: every failure comes back as `{ valid: false, error }`.
 * The algorithm is pinned by the key (or, for a remote key set, by configuration), never taken
 * from the token; `jku`, `x5u`, `x5c` and an embedded `jwk` are never dereferenced (RFC 8725 §3.1).
 * Before any key is looked up the token is read strictly (readCompactToken: three canonical
 * base64url segments, strict JSON objects without duplicate names, no `crit`); an ES256
 * signature must be 64 bytes and low-S (ecdsa-signature.ts), so no token has a second spelling.
 */
export async function verifyToken(
  token: string,
  keys: KeySource,
  options: VerifyTokenOptions = {},
): Promise<VerifyResult> {
  const typ = options.typ ?? SERVICE_TOKEN_TYPE
  const expected = { ...options, typ }
  if (typeof token !== 'string' || token.length === 0) {
    return verifyFailure('JsonWebTokenError', 'jwt must be provided', 'ERR_JWS_INVALID')
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    return verifyFailure('JsonWebTokenError', 'jwt malformed', 'ERR_JWS_INVALID')
  }
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
  const read = readCompactToken(token)
  if (!read.ok) return verifyFailure('JsonWebTokenError', 'jwt malformed', 'ERR_JWT_INVALID')
  const { header, signature } = read.token
  try {
    const resolved = await keys.resolve(header)
    if (!resolved)
      return verifyFailure(
        'JsonWebTokenError',
        'no key matches the token',
        'ERR_JWKS_NO_MATCHING_KEY',
      )
    if (!(resolved.algorithms as readonly string[]).includes(String(header.alg))) {
      return verifyFailure('JsonWebTokenError', 'invalid algorithm', 'ERR_JOSE_ALG_NOT_ALLOWED')
    }
    if (header.alg === 'ES256' && !isCanonicalEs256Signature(signature)) {
      return verifyFailure(
        'JsonWebTokenError',
        'invalid signature',
        'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      )
    }
    const { payload } = await jwtVerify(token, resolved.key, {
      algorithms: resolved.algorithms as SigningAlgorithm[],
      issuer: options.issuer,
      audience: options.audience,
      subject: options.subject,
      typ,
      clockTolerance,
      requiredClaims: REQUIRED_CLAIMS,
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    })
    // jose checks that iat is in the past only together with maxTokenAge; a token "issued" in
    // the future is refused regardless (RFC 7519 §4.1.6, OWASP JWT cheat sheet).
    const now = Math.floor((options.currentDate?.getTime() ?? Date.now()) / 1000)
    if (typeof payload.iat !== 'number' || payload.iat > now + clockTolerance) {
      return verifyFailure(
        'JsonWebTokenError',
        'jwt issued in the future',
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      )
    }
    return { valid: true, claims: payload }
  } catch (err) {
    return failureFromJoseError(err, expected)
  }
}
