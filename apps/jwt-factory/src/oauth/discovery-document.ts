import { SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import type { FactoryConfig } from '../config.ts'
import type { Policy } from '../policy/policy-file.ts'
import { CLIENT_CREDENTIALS, TOKEN_EXCHANGE, type ClientAuthMethod } from './grant.ts'

/** The factory's two issuers (oauth/issuers.ts): service tokens, and user tokens. */
export type IssuerName = 'services' | 'users'

const AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
]

/** What every token of either issuer may carry (RFC 7519, RFC 9068 §2.2, RFC 8693 §4.1 `act`). */
const COMMON_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope', 'act']
/** A user token adds how and when the user logged in (RFC 9068 §2.2.1, RFC 8176) and the level. */
const USER_CLAIMS = [...COMMON_CLAIMS, 'auth_time', 'amr', 'level']

/**
 * One issuer's metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3), served at both of its
 * well-known URLs. `issuer` is exactly the identifier the client derived the URL from (§3 of
 * both: a client refuses anything else), and every URL starts with PUBLIC_URL, so a document
 * fetched over HTTPS never sends a client to plain HTTP. Each issuer's `jwks_uri` holds only
 * its own keys: a keyId's key can never verify as a user (the GET /keys/admin attack of issue 13).
 */
export function discoveryDocument(config: FactoryConfig, policy: Policy, issuer: IssuerName) {
  const base = config.publicUrl
  const algorithms = [...SIGNING_ALGORITHMS]
  const common = {
    token_endpoint: config.endpoints.token,
    token_endpoint_auth_methods_supported: [...AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: algorithms,
    introspection_endpoint: config.endpoints.introspection,
    introspection_endpoint_auth_methods_supported: [...AUTH_METHODS],
    introspection_endpoint_auth_signing_alg_values_supported: algorithms,
    revocation_endpoint: config.endpoints.revocation,
    revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: algorithms,
    // No authorization endpoint, so no response type; RFC 8414 §2 requires the member anyway.
    response_types_supported: [],
    subject_types_supported: ['public'],
    // No ID tokens are issued; OpenID Connect Discovery requires the member: the access tokens' algorithms.
    id_token_signing_alg_values_supported: algorithms,
    service_jwks_uri: `${base}/jwks/{keyId}`,
    user_jwks_uri: `${base}/jwks/users`,
  }
  if (issuer === 'services') {
    return {
      issuer: config.serviceIssuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: [CLIENT_CREDENTIALS, TOKEN_EXCHANGE],
      scopes_supported: serviceScopes(policy),
      claims_supported: COMMON_CLAIMS,
      ...common,
      issue_token_endpoint: `${base}/issueToken/{keyId}`,
      verify_endpoint: `${base}/verify/{keyId}`,
      keys_endpoint: `${base}/keys/{keyId}`,
    }
  }
  return {
    issuer: config.userIssuer,
    jwks_uri: `${base}/jwks/users`,
    // A user token comes from POST /login, never from a client's own credentials.
    grant_types_supported: [TOKEN_EXCHANGE],
    scopes_supported: userScopes(policy),
    claims_supported: USER_CLAIMS,
    ...common,
    login_endpoint: `${base}/login`,
  }
}

export type DiscoveryDocument = ReturnType<typeof discoveryDocument>

/** Every permission a role gives: the words a user token's `scope` can hold. */
function userScopes(policy: Policy): string[] {
  const permissions = Object.values(policy.roles).flatMap((role) => role.permissions)
  return [...new Set(permissions)].sort()
}

/** The scope words the claim policy lets a keyId ask for; a keyId without an entry asks none. */
function serviceScopes(policy: Policy): string[] {
  const values = Object.values(policy.services).flatMap((service) => service.claims.scope ?? [])
  const words = values.flatMap((v) => (typeof v === 'string' ? v.split(' ') : []))
  return [...new Set(words.filter((w) => w !== ''))].sort()
}
