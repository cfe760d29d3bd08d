import { OAuthError } from './oauth-error.ts'

/** An audience name as `aud` carries it: visible characters, no spaces (they separate lists). */
const AUDIENCE = /^[\x21-\x7e]{1,200}$/

/**
 * The `aud` a token request asks for: `audience` (RFC 8693 §2.1, a logical name such as
 * `serviceb`) and/or `resource` (RFC 8707 §2: an absolute URI without a fragment). One value is
 * the `aud` string, two an array. None, or one that is not what its RFC says, is `invalid_target`.
 */
export function requestedAudience(params: ReadonlyMap<string, string>): string | string[] {
  const audience = params.get('audience')
  const resource = params.get('resource')
  if (audience !== undefined && !AUDIENCE.test(audience))
    throw new OAuthError('invalid_target', 'audience must be 1-200 visible characters, no spaces')
  if (resource !== undefined) checkResource(resource)
  const aud = [...new Set([audience, resource].filter((a) => a !== undefined))]
  if (aud.length === 0) {
    throw new OAuthError(
      'invalid_target',
      'say who the token is for: audience (a name, e.g. serviceb) or resource (an absolute URI)',
    )
  }
  return aud.length === 1 ? aud[0]! : aud
}

function checkResource(resource: string): void {
  let url: URL | undefined
  try {
    url = AUDIENCE.test(resource) ? new URL(resource) : undefined
  } catch {
    url = undefined
  }
  if (!url) throw new OAuthError('invalid_target', 'resource must be an absolute URI (RFC 8707 §2)')
  if (resource.includes('#'))
    throw new OAuthError('invalid_target', 'resource must not have a fragment (RFC 8707 §2)')
}
