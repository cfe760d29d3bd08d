import { HttpError } from '@jwt-factory/server'
import { checkServiceClaims } from '../policy/claim-policy.ts'
import { signAccessToken } from './access-token.ts'
import type { Grant } from './grant.ts'
import { OAuthError, type OAuthErrorCode } from './oauth-error.ts'
import { requestedAudience } from './requested-audience.ts'

/** RFC 6749 §3.3: scope-tokens of %x21 / %x23-5B / %x5D-7E, one space between them. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/

/**
 * client_credentials (RFC 6749 §4.4): a service token for the client itself, `sub` and
 * `client_id` the client, `aud` what it asked for, `scope` if it asked. The claim policy decides
 * what a client may ask, as it does at /issueToken: a refused `aud` is `invalid_target`, a refused
 * `scope` `invalid_scope`.
 */
export const clientCredentialsGrant: Grant = async ({ params, client }, context) => {
  const aud = requestedAudience(params)
  const scope = params.get('scope')
  if (scope !== undefined && !SCOPE.test(scope))
    throw new OAuthError(
      'invalid_scope',
      'scope must be space-separated scope tokens (RFC 6749 §3.3)',
    )
  allowedByPolicy(() => checkServiceClaims(context.policy, client.id, { aud }), 'invalid_target')
  if (scope !== undefined)
    allowedByPolicy(() => checkServiceClaims(context.policy, client.id, { scope }), 'invalid_scope')
  const ttlSeconds = context.config.tokenTtlSeconds
  const claims = { sub: client.id, client_id: client.id, aud, ...(scope ? { scope } : {}) }
  const signed = await signAccessToken(context, { issuer: 'services', claims, ttlSeconds })
  return {
    access_token: signed.token,
    token_type: 'Bearer',
    expires_in: ttlSeconds,
    ...(scope ? { scope } : {}),
  }
}

/** The claim policy's 400 as the OAuth error the RFCs name for it, its message kept. */
function allowedByPolicy(check: () => void, code: OAuthErrorCode): void {
  try {
    check()
  } catch (err) {
    if (err instanceof HttpError && err.status === 400)
      throw new OAuthError(code, err.message, { cause: err })
    throw err
  }
}
