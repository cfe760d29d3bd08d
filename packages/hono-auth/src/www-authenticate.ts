/** RFC 6750 §3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

export interface BearerChallenge {
  realm: string
  /** Omitted when the request carried no credentials at all (RFC 6750 §3.1). */
  error?: BearerErrorCode
  description?: string
  scope?: string
}

/**
 * Quoted-string values may not hold `"` or `\` unescaped, nor control characters; a header
 * carries bytes, so nothing beyond ASCII either (fetch's Headers throws on it).
 */
const quote = (value: string) =>
  `"${value
    .replace(/[\\"]/g, '\\$&')
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .replace(/[^\x00-\x7e]/g, '?')}"`

/**
 * `error_description` is narrower (RFC 6750 §3): printable ASCII without `"` and `\`. The
 * refusals' arrows (an act chain "serviceb ← servicea") are spelled `<-`, quotes as `'`.
 */
const describe = (text: string) =>
  `"${text
    .replaceAll('←', '<-')
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '?')}"`

/** The `WWW-Authenticate` value of a 401 or 403 for a bearer-protected resource (RFC 6750 §3). */
export function bearerChallenge({ realm, error, description, scope }: BearerChallenge): string {
  const params = [`realm=${quote(realm)}`]
  if (error) params.push(`error=${quote(error)}`)
  if (error && description) params.push(`error_description=${describe(description)}`)
  if (scope) params.push(`scope=${quote(scope)}`)
  return `Bearer ${params.join(', ')}`
}
