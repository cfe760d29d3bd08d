import type { FactoryContext } from '../deps.ts'

/** How a client proved who it is at an OAuth endpoint (discovery's auth method names). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'

/** A client that authenticated: its registered name is its client_id. */
export interface AuthenticatedClient {
  id: string
  method: ClientAuthMethod
}

/** One POST /token request, after the client authenticated. */
export interface TokenRequest {
  params: ReadonlyMap<string, string>
  client: AuthenticatedClient
}

/** RFC 6749 §5.1's successful answer (RFC 8693 §2.2.1 adds issued_token_type). */
export interface TokenAnswer {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope?: string
  issued_token_type?: string
}

/** A grant type's handler; it throws an OAuthError to refuse. */
export type Grant = (request: TokenRequest, context: FactoryContext) => Promise<TokenAnswer>

export const CLIENT_CREDENTIALS = 'client_credentials'
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt'
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
