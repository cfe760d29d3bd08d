import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The error codes of RFC 6749 §5.2, RFC 8707 §2 (invalid_target) and RFC 7009 §2.2.1. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'

/** RFC 6749 §5.2's error response: what every OAuth client library reads. */
export interface OAuthErrorBody {
  error: OAuthErrorCode
  error_description: string
}

/**
 * A refusal at an OAuth endpoint (/token, /introspect, /revoke), answered in RFC 6749 §5.2's
 * shape by the OAuth routes' own error handler (oauth-routes.ts), never the factory's
 * `{ error: { name, code, message } }`: client libraries switch on `error`.
 *
 * `invalid_client` is 401 with a `WWW-Authenticate` challenge (§5.2: required when the client
 * tried the Authorization header, and sent always so a client learns the scheme); the rest 400.
 */
export class OAuthError extends Error {
  override name = 'OAuthError'
  readonly status: ContentfulStatusCode
  readonly headers: Readonly<Record<string, string>>
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    options?: ErrorOptions,
  ) {
    super(description, options)
    this.status = code === 'invalid_client' ? 401 : 400
    this.headers =
      code === 'invalid_client' ? { 'WWW-Authenticate': 'Basic realm="jwt-factory"' } : {}
  }

  toJSON(): OAuthErrorBody {
    return { error: this.code, error_description: this.description }
  }
}
