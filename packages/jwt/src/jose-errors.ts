import { errors } from 'jose'
import type { CheckName } from './verification-report.ts'
import { isoTime, verifyFailure, type VerifyError, type VerifyFailure } from './verify-result.ts'

/** What a refusal can say about the token and the verifier, besides jose's own error. */
export interface RefusalContext {
  expected: { issuer?: string; audience?: string; subject?: string; typ?: string }
  /** The header's `kid` and `typ` (a `kid` that is not a string never gets this far). */
  seen: Pick<VerifyError, 'kid' | 'typ'>
  keys: { name: string; hop?: string }
  now: Date
  clockToleranceSeconds: number
}

/**
 * Translates whatever jose threw into the product's result: the one place that knows jose's
 * error classes. Anything unexpected is reported as a malformed token, never rethrown, so no
 * token can crash a caller.
 */
export function failureFromJoseError(err: unknown, context: RefusalContext): VerifyFailure {
  const { expected, seen, keys } = context
  const clock = {
    now: context.now.toISOString(),
    clockToleranceSeconds: context.clockToleranceSeconds,
  }
  if (err instanceof errors.JWTExpired) {
    const expiredAt = isoTime(err.payload.exp)
    return verifyFailure('TokenExpiredError', 'ERR_JWT_EXPIRED', 'jwt expired', {
      ...(expiredAt ? { expiredAt } : {}),
      ...clock,
    })
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason } = err
    const code = 'ERR_JWT_CLAIM_VALIDATION_FAILED'
    if (claim === 'nbf' && reason === 'check_failed') {
      const date = isoTime(err.payload.nbf)
      return verifyFailure('NotBeforeError', code, 'jwt not active', {
        ...(date ? { date } : {}),
        ...clock,
      })
    }
    if (reason === 'missing')
      return verifyFailure('JsonWebTokenError', code, `jwt ${claim} required`)
    const label = { aud: 'audience', iss: 'issuer', sub: 'subject', typ: 'type' }[claim]
    const value = {
      aud: expected.audience,
      iss: expected.issuer,
      sub: expected.subject,
      typ: expected.typ,
    }[claim]
    // Past "missing", jose refuses these four claims only as "check_failed": a wrong value.
    if (label) {
      const message = `jwt ${label} invalid. expected: ${value}`
      return verifyFailure('JsonWebTokenError', code, message, claim === 'typ' ? seen : {})
    }
    return verifyFailure('JsonWebTokenError', code, `jwt ${claim} invalid`)
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return verifyFailure(
      'JsonWebTokenError',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      'invalid signature',
      {
        ...seen,
        keys: keys.name,
      },
    )
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return verifyFailure('JsonWebTokenError', 'ERR_JOSE_ALG_NOT_ALLOWED', 'invalid algorithm', {
      ...seen,
      keys: keys.name,
    })
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return noMatchingKey(context)
  }
  if (err instanceof errors.JWKSTimeout || err instanceof KeysUnavailableError) {
    // Not the token's fault: the caller answers it as the hop's failure, never as a bad token.
    const code = err instanceof errors.JWKSTimeout ? 'ERR_JWKS_TIMEOUT' : 'ERR_JWKS_UNAVAILABLE'
    const hop = keys.hop ? { hop: keys.hop } : {}
    return verifyFailure('JsonWebTokenError', code, `signing keys unavailable: ${keys.name}`, {
      keys: keys.name,
      ...hop,
    })
  }
  return verifyFailure('JsonWebTokenError', 'ERR_JWT_INVALID', 'jwt malformed')
}

/**
 * Which check a jose error is the failure of: while finding the key (`key`: no matching key, the
 * set unavailable; an `alg` no key set can hold), or while checking the token with it (jose's
 * order: alg, signature, typ, required claims, iss, sub, aud, iat's type, nbf, exp).
 */
export function failedCheckOf(err: unknown, stage: 'key' | 'token'): CheckName {
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return 'alg'
  if (stage === 'key') return 'key'
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature'
  if (err instanceof errors.JWTExpired) return 'exp'
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return 'required'
    // jose reads iat's type before nbf and exp: a non-number iat is a claim not there as a
    // date, found before either time was compared.
    if (err.claim === 'iat' && err.reason === 'invalid') return 'required'
    const claim = err.claim as CheckName
    return CLAIM_CHECKS.has(claim) ? claim : 'format'
  }
  return 'format'
}

const CLAIM_CHECKS = new Set<CheckName>(['typ', 'iss', 'sub', 'aud', 'nbf', 'exp', 'iat'])

/**
 * The key set holds no key for the token. The message stays the one every place answers; the
 * token's `kid` and `typ` and the set consulted say which of the usual mistakes it is: a user
 * token in a service's slot, another service's key, a token for another scenario, a retired key.
 */
export function noMatchingKey({
  seen,
  keys,
}: Pick<RefusalContext, 'seen' | 'keys'>): VerifyFailure {
  return verifyFailure(
    'JsonWebTokenError',
    'ERR_JWKS_NO_MATCHING_KEY',
    'no key matches the token',
    {
      ...seen,
      keys: keys.name,
    },
  )
}

/** A key set could not be fetched or read; verification reports it as keys unavailable. */
export class KeysUnavailableError extends errors.JOSEError {
  static override code = 'ERR_JWKS_UNAVAILABLE'
  override code = 'ERR_JWKS_UNAVAILABLE'
}
