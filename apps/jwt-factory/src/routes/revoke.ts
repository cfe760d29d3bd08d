import { addLogFields } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { authenticateClient } from '../oauth/client-auth.ts'
import { readFormParams, requiredParam } from '../oauth/form-params.ts'
import { inspectToken } from '../oauth/inspect-token.ts'
import { OAuthError } from '../oauth/oauth-error.ts'
import { noStore, oauthRoutes } from '../oauth/oauth-routes.ts'
import { MAX_JTI_LENGTH } from '../oauth/revocations-file.ts'
import { tokenConcerns } from '../oauth/token-concerns.ts'

/**
 * POST /revoke (RFC 7009): an authenticated client revokes a token that concerns it; from the
 * answer on, /verify, /auth, /introspect and the token exchange refuse it, here and after a
 * restart. A token that is invalid, expired or already revoked is answered 200 and nothing is
 * written (§2.2: the client cannot do anything about it anyway); another client's token is 400
 * `unauthorized_client` (§2.1). `token_type_hint` is accepted and not needed. Verifiers that only
 * hold the JWKS never hear of a revocation: docs/13-security.md says what that means.
 */
export function revokeRoutes(context: FactoryContext) {
  return oauthRoutes().post('/revoke', noStore, async (c) => {
    const params = await readFormParams(c)
    const client = await authenticateClient(c, params, context)
    const token = requiredParam(params, 'token')
    const inspection = await inspectToken(context, token)
    addLogFields(c, {
      client: client.id,
      reason: inspection.active ? undefined : inspection.error.code,
    })
    if (!inspection.active) return c.body(null, 200)
    const { claims } = inspection
    if (!tokenConcerns(inspection.issuer, claims, client.id)) {
      throw new OAuthError(
        'unauthorized_client',
        `the token was not issued to ${client.id}, and is not for it`,
      )
    }
    const { jti, exp } = claims
    if (typeof jti !== 'string' || jti.length > MAX_JTI_LENGTH || typeof exp !== 'number') {
      throw new OAuthError('unsupported_token_type', 'a token is revoked by its jti; this has none')
    }
    await context.revocations.revoke(jti, exp)
    addLogFields(c, { revoked: jti })
    return c.body(null, 200)
  })
}
