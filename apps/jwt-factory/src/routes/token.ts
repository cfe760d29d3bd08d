import { addLogFields } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { authenticateClient } from '../oauth/client-auth.ts'
import { clientCredentialsGrant } from '../oauth/client-credentials.ts'
import { readFormParams, requiredParam } from '../oauth/form-params.ts'
import { CLIENT_CREDENTIALS, TOKEN_EXCHANGE, type Grant } from '../oauth/grant.ts'
import { OAuthError } from '../oauth/oauth-error.ts'
import { noStore, oauthRoutes } from '../oauth/oauth-routes.ts'
import { tokenExchangeGrant } from '../oauth/token-exchange.ts'

const GRANTS: Readonly<Record<string, Grant>> = {
  [CLIENT_CREDENTIALS]: clientCredentialsGrant,
  [TOKEN_EXCHANGE]: tokenExchangeGrant,
}

/**
 * POST /token (RFC 6749 §3.2): the client authenticates (client-auth.ts), then its grant type
 * decides the token. One endpoint for both issuers: the grant says whose token it is.
 */
export function tokenEndpointRoutes(context: FactoryContext) {
  return oauthRoutes().post('/token', noStore, async (c) => {
    const params = await readFormParams(c)
    const grantType = requiredParam(params, 'grant_type')
    const client = await authenticateClient(c, params, context)
    addLogFields(c, { client: client.id, auth: client.method, grant: grantType })
    const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined
    if (!grant) {
      const offered = Object.keys(GRANTS).join(', ')
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type "${grantType.slice(0, 100)}" is not offered here (${offered})`,
      )
    }
    return c.json(await grant({ params, client }, context))
  })
}
