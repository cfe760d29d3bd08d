import {
  InvalidClaimsError,
  MAX_TOKEN_LENGTH,
  signToken,
  type JWTPayload,
  type SignedToken,
  type SigningKey,
  type SignTokenOptions,
} from '@jwt-factory/jwt'

/**
 * signToken for a token the factory hands out (/issueToken, /token): claims that would make a
 * token no verifier here accepts (longer than MAX_TOKEN_LENGTH) are an InvalidClaimsError, as
 * claims signToken itself refuses are, so each endpoint answers both the one way it answers bad
 * claims.
 */
export async function signIssuableToken(
  key: SigningKey,
  claims: JWTPayload,
  options: SignTokenOptions,
): Promise<SignedToken> {
  const signed = await signToken(key, claims, options)
  if (signed.token.length > MAX_TOKEN_LENGTH) {
    throw new InvalidClaimsError(
      `the claims make a token longer than ${MAX_TOKEN_LENGTH} characters`,
    )
  }
  return signed
}
