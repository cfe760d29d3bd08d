import type { VerifyError, VerifyResult } from '@jwt-factory/jwt'
import type { RevocationStore } from './revocations.ts'

/**
 * A token that verifies but was revoked at POST /revoke (RFC 7009), in the verify-result shape
 * every other refusal has, so every place answers it as it answers a bad signature.
 */
export const TOKEN_REVOKED: VerifyError = Object.freeze({
  name: 'JsonWebTokenError',
  code: 'ERR_TOKEN_REVOKED',
  message: 'jwt revoked',
})

/** The verification's result, or the revocation's refusal when the token's `jti` is revoked. */
export function unlessRevoked(result: VerifyResult, revocations: RevocationStore): VerifyResult {
  if (!result.valid || !revocations.isRevoked(result.claims.jti)) return result
  return { valid: false, error: TOKEN_REVOKED, claims: {} }
}
