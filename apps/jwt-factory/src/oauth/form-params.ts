import type { Context } from 'hono'
import { readBodyText, type ServerEnv } from '@jwt-factory/server'
import { OAuthError } from './oauth-error.ts'

/**
 * An OAuth endpoint's parameters: an `application/x-www-form-urlencoded` body (RFC 6749 §3.2,
 * RFC 7662 §2.1, RFC 7009 §2.1), within the app's body limit. A parameter sent twice is
 * `invalid_request` (§3.1: parameters MUST NOT be included more than once); an empty one is
 * treated as omitted, as §3.1 says (some clients send `scope=`).
 */
export async function readFormParams(c: Context<ServerEnv>): Promise<ReadonlyMap<string, string>> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new OAuthError(
      'invalid_request',
      'the body must be application/x-www-form-urlencoded (RFC 6749 §3.2)',
    )
  }
  const params = new Map<string, string>()
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(await readBodyText(c))) {
    if (seen.has(name)) {
      throw new OAuthError('invalid_request', `parameter "${name.slice(0, 64)}" is sent twice`)
    }
    seen.add(name)
    if (value !== '') params.set(name, value)
  }
  return params
}

/** A parameter the request must have: `invalid_request` naming it otherwise. */
export function requiredParam(params: ReadonlyMap<string, string>, name: string): string {
  const value = params.get(name)
  if (value === undefined) throw new OAuthError('invalid_request', `parameter "${name}" is missing`)
  return value
}
