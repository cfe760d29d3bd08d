import type { JWTPayload } from '@jwt-factory/jwt'
import type { TokenIssuer } from './inspect-token.ts'

/**
 * Whether a client may learn about or revoke a token (RFC 7662 §4, RFC 7009 §2.1): the token is
 * for it (in `aud`), was issued to it (`client_id`), or, for a service token, is its own (`sub`
 * is the service's keyId, which is its client name). A user token's `sub` is a user, and a client
 * that happens to share that name gains nothing from it.
 */
export function tokenConcerns(issuer: TokenIssuer, claims: JWTPayload, clientId: string): boolean {
  const audiences = [claims.aud ?? []].flat()
  return (
    audiences.includes(clientId) ||
    claims.client_id === clientId ||
    (issuer === 'services' && claims.sub === clientId)
  )
}
