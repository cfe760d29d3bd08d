import type { Grant } from './grant.ts'
import { OAuthError } from './oauth-error.ts'

/** A placeholder until token exchange (RFC 8693) lands; its author replaces this file. */
export const tokenExchangeGrant: Grant = async () => {
  throw new OAuthError('unsupported_grant_type', 'token exchange is not built yet')
}
