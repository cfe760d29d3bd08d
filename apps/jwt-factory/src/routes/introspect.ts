import { addLogFields } from '@jwt-factory/server'
import type { JWTPayload } from '@jwt-factory/jwt'
import type { FactoryContext } from '../deps.ts'
import { authenticateClient } from '../oauth/client-auth.ts'
import { readFormParams, requiredParam } from '../oauth/form-params.ts'
import { inspectToken } from '../oauth/inspect-token.ts'
import { noStore, oauthRoutes } from '../oauth/oauth-routes.ts'
import { tokenConcerns } from '../oauth/token-concerns.ts'

/** RFC 7662 §2.2's answer for an active token: what a resource server needs to decide. */
export interface ActiveIntrospection {
  active: true
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nbf?: number
  jti?: string
  scope?: string
  client_id?: string
  token_type: 'Bearer'
  /** RFC 8693 §4.1: who acts for the subject, the most recent actor outermost. */
  act?: unknown
}

/** Every token that is not active for this caller gets exactly this (RFC 7662 §2.2, §4). */
const INACTIVE = Object.freeze({ active: false as const })

/**
 * POST /introspect (RFC 7662): an authenticated client asks whether a token is active. Active
 * means the factory issued it (inspect-token.ts: the right keys, not expired, not revoked) and it
 * concerns the caller; anything else, a forged or expired token as much as another client's, is
 * `{ active: false }` and nothing more, so the answer tells an outsider nothing. `token_type_hint`
 * is accepted and not needed: every token here is an access token.
 */
export function introspectRoutes(context: FactoryContext) {
  return oauthRoutes().post('/introspect', noStore, async (c) => {
    const params = await readFormParams(c)
    const client = await authenticateClient(c, params, context)
    const token = requiredParam(params, 'token')
    const inspection = await inspectToken(context, token)
    if (!inspection.active) {
      addLogFields(c, { client: client.id, active: false, reason: inspection.error.code })
      return c.json(INACTIVE)
    }
    const concerns = tokenConcerns(inspection.issuer, inspection.claims, client.id)
    addLogFields(c, { client: client.id, active: concerns })
    if (!concerns) return c.json(INACTIVE)
    return c.json(activeIntrospection(inspection.claims))
  })
}

function activeIntrospection(claims: JWTPayload): ActiveIntrospection {
  const { iss, sub, aud, exp, iat, nbf, jti, scope, client_id, act } = claims
  return {
    active: true,
    iss: iss!,
    sub: sub!,
    aud: aud!,
    exp: exp!,
    iat: iat!,
    ...(typeof nbf === 'number' ? { nbf } : {}),
    ...(typeof jti === 'string' ? { jti } : {}),
    ...(typeof scope === 'string' ? { scope } : {}),
    ...(typeof client_id === 'string' ? { client_id } : {}),
    token_type: 'Bearer',
    ...(act !== undefined ? { act } : {}),
  }
}
