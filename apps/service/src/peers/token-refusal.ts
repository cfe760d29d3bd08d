/** `name=value` or `name="quoted value"` of a challenge (RFC 9110 §11.2, auth-param). */
const AUTH_PARAM = /([!#$%&'*+.^_`|~\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/g

/** A description from a peer goes into a log line: keep it one short line. */
const MAX_REASON_LENGTH = 200

/**
 * Why a hop refused the bearer token itself, from its `WWW-Authenticate` challenge: a 401 or
 * 403 with `Bearer … error="invalid_token"` (RFC 6750 §3.1), whose `error_description` says why.
 * Undefined for anything else: no token (no error code), a missing scope (`insufficient_scope`),
 * a malformed request, or an answer that is not a Bearer challenge at all.
 */
export function tokenRefusal(
  status: number,
  challenge: string | readonly string[] | undefined,
): string | undefined {
  if (status !== 401 && status !== 403) return undefined
  for (const value of typeof challenge === 'string' ? [challenge] : (challenge ?? [])) {
    if (!/^\s*Bearer(\s|$)/i.test(value)) continue
    const params = new Map<string, string>()
    for (const [, name = '', quoted, bare] of value.matchAll(AUTH_PARAM)) {
      params.set(name.toLowerCase(), quoted?.replace(/\\(.)/g, '$1') ?? bare ?? '')
    }
    if (params.get('error') !== 'invalid_token') continue
    const reason = params.get('error_description') || 'invalid_token'
    return reason.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, MAX_REASON_LENGTH)
  }
  return undefined
}
