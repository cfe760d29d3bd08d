import {
  InvalidClaimsError,
  USER_TOKEN_TYPE,
  type JWTPayload,
  type SignedToken,
} from '@jwt-factory/jwt'
import type { FactoryContext } from '../deps.ts'
import { signIssuableToken } from '../issuable-token.ts'
import type { TokenIssuer } from './inspect-token.ts'
import { OAuthError } from './oauth-error.ts'

export interface AccessTokenRequest {
  /** Whose token: a service's (signed by the ring of its `sub`) or a user's (the user key). */
  issuer: TokenIssuer
  /** Everything but iss, iat, exp and jti, which are set here. */
  claims: JWTPayload & { sub: string }
  ttlSeconds: number
}

/**
 * Signs an access token issued at POST /token, by client_credentials and token exchange alike.
 * A service token is signed by the key ring named by its `sub` (made on demand), `typ: JWT`, so a
 * service verifying it with its pinned `/jwks/<sub>` accepts it as one from /issueToken; a user
 * token by the user key, `typ: at+jwt` (RFC 9068), never accepted where a service token is.
 */
export async function signAccessToken(
  context: FactoryContext,
  { issuer, claims, ttlSeconds }: AccessTokenRequest,
): Promise<SignedToken> {
  const { config, keyStore, userKeys, now } = context
  const services = issuer === 'services'
  const key = services
    ? (await keyStore.ensure(claims.sub)).ring.active
    : await userKeys.signingKey()
  const iss = services ? config.serviceIssuer : config.userIssuer
  // Claims that make a token too long (a long act chain, many audiences) are refused too.
  const signed = await signIssuableToken(
    key,
    { ...claims, iss },
    {
      ttlSeconds,
      now: now(),
      ...(services ? {} : { typ: USER_TOKEN_TYPE }),
    },
  ).catch((err: unknown) => {
    throw err instanceof InvalidClaimsError
      ? new OAuthError('invalid_request', err.message, { cause: err })
      : err
  })
  return signed
}
