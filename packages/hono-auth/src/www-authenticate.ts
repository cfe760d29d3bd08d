/** RFC 6750 §3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

export interface BearerChallenge {
  realm: string
  /** Omitted when the request carried no credentials at all (RFC 6750 §3.1). */
  error?: BearerErrorCode
  description?: string
  scope?: string
}

/** Quoted-string values may not hold `"` or `\` unescaped, nor control characters. */
const quote = (value: string) =>
  `"${value.replace(/[\\"]/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, ' ')}"`

/** The `WWW-Authenticate` value of a 401 or 403 for a bearer-protected resource (RFC 6750 §3). */
export function bearerChallenge({ realm, error, description, scope }: BearerChallenge): string {
  const params = [`realm=${quote(realm)}`]
  if (error) params.push(`error=${quote(error)}`)
  if (error && description) params.push(`error_description=${quote(description)}`)
  if (scope) params.push(`scope=${quote(scope)}`)
  return `Bearer ${params.join(', ')}`
}
