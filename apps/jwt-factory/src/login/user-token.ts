import { signToken, USER_TOKEN_TYPE, type JWTPayload, type SigningKey } from '@jwt-factory/jwt'

/**
 * The `client_id` of a token from POST /login itself (RFC 9068 §2.2 requires one in every access
 * token): no OAuth client asked for it, the factory's own login did. A token exchange's result
 * names the client that exchanged it instead.
 */
export const LOGIN_CLIENT_ID = 'jwt-factory-login'

/** How the user proved who they are (RFC 8176 method names). */
export type AuthMethod = 'pwd' | 'otp'

/** AppMesh's login answer. */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expire_seconds: number
  expire_time: number
  profile: { name: string; auth_time: number }
}

/**
 * The claims of a user token beside iss/sub/aud and the times: permissions as `scope` (RFC 9068
 * §2.2.3), `amr` (RFC 8176), and apijwt2's assurance `level`: 2 password, 3 with a second factor.
 */
export function userClaims(
  permissions: readonly string[],
  amr: readonly AuthMethod[],
  authTime: number,
): JWTPayload {
  const level = amr.includes('otp') ? 3 : 2
  return { scope: permissions.join(' '), amr: [...amr], level, auth_time: authTime }
}

export interface IssueUserTokenOptions {
  key: SigningKey
  issuer: string
  user: string
  audience: string
  claims: JWTPayload
  ttlSeconds: number
  now: Date
}

/**
 * Signs an RFC 9068 access token (`typ: at+jwt`) for a user; never accepted as a service token.
 * §2.2's required claims: iss (the user issuer), sub, aud, client_id here; iat, exp, jti by
 * signToken; auth_time, scope and amr come with `claims`.
 */
export async function issueUserToken(options: IssueUserTokenOptions): Promise<TokenResponse> {
  const { key, issuer, user, audience, claims, ttlSeconds, now } = options
  const payload = { ...claims, iss: issuer, sub: user, aud: audience, client_id: LOGIN_CLIENT_ID }
  const signed = await signToken(key, payload, { ttlSeconds, now, typ: USER_TOKEN_TYPE })
  return {
    access_token: signed.token,
    token_type: 'Bearer',
    expire_seconds: ttlSeconds,
    expire_time: signed.claims.exp,
    profile: { name: user, auth_time: Number(claims.auth_time ?? signed.claims.iat) },
  }
}
